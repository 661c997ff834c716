// Logs one line through the process logger, for lib/logger.test.ts (run as its own process: LOG_FORMAT is read once).
import { logger } from '../logger.ts';
import { registerSecret } from '../redact.ts';

registerSecret('sample-secret-value-0123456789');
logger.info({ runId: 'run_1', token: 'sample-secret-value-0123456789' }, 'run succeeded');
