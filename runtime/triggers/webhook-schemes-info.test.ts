import { describe, expect, it } from 'vitest';
import { WEBHOOK_SCHEME_INFO } from '../workflow/webhook-schemes-info.ts';
import { WEBHOOK_VERIFY_SCHEMES } from '../workflow/webhook-trigger-with.ts';
import { schemeDeliveryId, signatureHeaders } from './webhook-schemes.ts';

// The docs, dry runs and cards read WEBHOOK_SCHEME_INFO; the receiver reads webhook-schemes.ts: they must agree.
describe('the webhook scheme table matches the receiver', () => {
  it('each sample delivery carries the id the receiver dedupes on, and no signature header', () => {
    for (const scheme of WEBHOOK_VERIFY_SCHEMES) {
      const { headers, body } = WEBHOOK_SCHEME_INFO[scheme].sample;
      const options = scheme === 'hmac' ? { verify: scheme, header: 'X-Signature' } : { verify: scheme };
      for (const name of signatureHeaders(options)) expect(Object.keys(headers), scheme).not.toContain(name);
      if (scheme === 'vmesh' || scheme === 'hmac' || scheme === 'token') continue;
      const rawBody = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      expect(schemeDeliveryId(scheme, { headers, rawBody, body }), scheme).toBeDefined();
    }
  });
});
