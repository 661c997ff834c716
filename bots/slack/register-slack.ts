import type { FastifyInstance } from 'fastify';
import { createSlackBot, type SlackBot, type SlackBotOptions } from './create-slack-bot.ts';

/**
 * Mounts the Slack bot on the app server: POST /slack/events takes events, interactivity (buttons) and the
 * /vmesh command; bolt reads the raw body and checks the signature itself. In Socket Mode (appToken set)
 * no route is added and the bot connects out to Slack instead.
 */
export async function registerSlack(server: FastifyInstance, options: SlackBotOptions): Promise<SlackBot> {
  const bot = createSlackBot(options);
  const receiver = bot.receiver;
  if (receiver) {
    await server.register(async (scope) => {
      // Leave the body unread: bolt verifies the signature over the exact bytes Slack sent.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
      scope.post('/slack/events', (request, reply) => {
        reply.hijack();
        receiver.requestListener(request.raw, reply.raw);
      });
    });
  }
  await bot.start();
  server.addHook('onClose', async () => {
    await bot.stop();
  });
  return bot;
}
