import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { resultOf } from '../client.ts';
import { rest } from '../kit.ts';

export const AnswerCallbackInput = z.strictObject({
  callbackQueryId: z
    .string()
    .min(1)
    .max(128)
    .describe('The pressed button’s query id (`{{ trigger.callbackQueryId }}`).'),
  text: z.string().max(200).optional().describe('A short notice shown to the person (0–200 characters).'),
  showAlert: z.boolean().optional().describe('Show the text as an alert to dismiss instead of a toast.'),
});

export const answerCallback = rest.action({
  key: 'answerCallback',
  title: 'Answer a Telegram button press',
  description:
    'Acknowledge a pressed inline button (stops its spinner), optionally with a short notice to the person.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Telegram button press', withValue.callbackQueryId),
  input: AnswerCallbackInput,
  output: z.object({ answered: z.boolean().describe('True when Telegram took the answer.') }),
  http: {
    method: 'POST',
    path: '/answerCallbackQuery',
    json: (input) => ({
      callback_query_id: input.callbackQueryId,
      text: input.text,
      show_alert: input.showAlert,
    }),
  },
  project: (response) => ({ answered: resultOf(response, z.boolean()) }),
});
