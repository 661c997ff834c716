import { z } from 'zod';

/** The values of a core webhook trigger's `with.verify`: whose signature scheme a delivery is checked in. */
export const WEBHOOK_VERIFY_SCHEMES = [
  'vmesh',
  'github',
  'stripe',
  'shopify',
  'standard-webhooks',
  'slack',
  'typeform',
  'linear',
  'twilio',
  'hmac',
  'token',
] as const;
export type WebhookVerifyScheme = (typeof WEBHOOK_VERIFY_SCHEMES)[number];

const HMAC_ONLY = ['header', 'algorithm', 'encoding', 'prefix'] as const;

/** `trigger.with` of the core `webhook` trigger. */
export const WebhookTriggerWith = z
  .strictObject({
    verify: z
      .enum(WEBHOOK_VERIFY_SCHEMES)
      .optional()
      .describe(
        "whose signature scheme deliveries are checked in (default vmesh); set the sender's secret with vmesh workflows hook-secret ID --set",
      ),
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,100}$/, 'a header name is letters, digits and "-" (e.g. "X-Signature")')
      .optional()
      .describe('verify "hmac": the header carrying the signature'),
    algorithm: z
      .enum(['sha1', 'sha256', 'sha512'])
      .optional()
      .describe('verify "hmac" (required): the HMAC the sender signs with'),
    encoding: z
      .enum(['hex', 'base64'])
      .optional()
      .describe('verify "hmac": how the signature is written (default hex)'),
    prefix: z
      .string()
      .min(1)
      .max(50)
      .optional()
      .describe('verify "hmac": text before the signature in the header, e.g. "sha256="'),
    files: z
      .array(
        z
          .string()
          .regex(
            /^[A-Za-z0-9_.-]{1,100}$/,
            'a part name is letters, digits, "_", "." or "-" (e.g. "upload")',
          ),
      )
      .min(1)
      .max(20)
      .optional()
      .describe(
        'multipart/form-data deliveries: the part names that carry files, each a file reference in trigger.body.files.<name> (the dry run simulates them; uploads are taken whether declared or not)',
      ),
  })
  .superRefine((value, context) => {
    if (value.verify === 'hmac' && value.header === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['header'],
        message:
          'verify "hmac" needs with.header, the header that carries the signature (e.g. "X-Signature")',
      });
    }
    // The sender's algorithm is a fact to look up, not to guess: a wrong one only shows as 401s at delivery.
    if (value.verify === 'hmac' && value.algorithm === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['algorithm'],
        message:
          'verify "hmac" needs with.algorithm, the HMAC the sender signs with: "sha1", "sha256" or "sha512" (see the sender\'s webhook docs)',
      });
    }
    if (value.verify !== 'hmac') {
      for (const key of HMAC_ONLY) {
        if (value[key] !== undefined) {
          context.addIssue({
            code: 'custom',
            path: [key],
            message: `with.${key} only applies to verify "hmac" (this trigger verifies "${value.verify ?? 'vmesh'}")`,
          });
        }
      }
    }
  });
export type WebhookTriggerWith = z.infer<typeof WebhookTriggerWith>;
