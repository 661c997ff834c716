import type { Logger } from '../../lib/index.ts';
import type { NodeRunnerDeps } from '../engine/node-runner.ts';
import { type AlertChatPorts, createAlertDeliverer } from './deliver-alert.ts';
import { ALERTS_TASK, evaluateAlerts } from './evaluate-alerts.ts';

/**
 * The alert evaluation task for a worker (`startWorker({ tasks, crontab: ALERTS_CRONTAB })`): one bounded tick per
 * run. It takes no payload; a throw fails the job and the next minute's tick comes anyway.
 */
export function createAlertsTask(
  deps: NodeRunnerDeps,
  options: { publicUrl: string; chat: AlertChatPorts; logger: Logger },
): Record<typeof ALERTS_TASK, () => Promise<void>> {
  const deliver = createAlertDeliverer(deps, options.chat);
  return {
    [ALERTS_TASK]: async () => {
      const result = await evaluateAlerts({
        sql: deps.sql,
        deliver,
        publicUrl: options.publicUrl,
        logger: options.logger,
      });
      if (result.fired + result.renotified + result.recovered > 0)
        options.logger.info(result, 'alert rules evaluated');
    },
  };
}
