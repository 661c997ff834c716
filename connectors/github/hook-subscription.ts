import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { SubscriptionContext, WebhookSubscription } from '../sdk/define.ts';
import { callGithub, type GithubClient, type GithubCredential, toGithubError } from './client.ts';

type RepositoryFilter = { repository?: string | undefined };
type Context = SubscriptionContext<GithubCredential, GithubClient>;

const Hook = z.object({
  id: z.number().int(),
  config: z.object({ url: z.string().optional() }).loose(),
});

function repositoryOf(filters: RepositoryFilter, trigger: string): { owner: string; repo: string } {
  const [owner, repo] = (filters.repository ?? '').split('/');
  if (!owner || !repo) {
    throw new ConnectorError({
      code: 'E_PARAMS',
      message: `github.${trigger} registers its webhook on one repository, and trigger.with.repository is not set.`,
      retryable: false,
      hint: 'Set trigger.with.repository to "owner/name", or remove trigger.credential and add the webhook in GitHub by hand.',
    });
  }
  return { owner, repo };
}

const HOOK_HINT =
  'The token needs admin rights on the repository\'s webhooks: a classic token with the "admin:repo_hook" scope, or a fine-grained one with "Webhooks: read and write".';

/** Our repository hook for `url`, if an earlier attempt made one (GitHub lists at most 100 hooks per page). */
async function findHook(ctx: Context, owner: string, repo: string, url: string): Promise<number | undefined> {
  for (let page = 1; page <= 10; page += 1) {
    const { data } = await callGithub('listHooks', () =>
      ctx.client.rest.repos.listWebhooks({ owner, repo, per_page: 100, page }),
    );
    const hooks = z.array(Hook).parse(data);
    const found = hooks.find((hook) => hook.config.url === url);
    if (found) return found.id;
    if (hooks.length < 100) return undefined;
  }
  return undefined;
}

function withHint(error: unknown): unknown {
  if (error instanceof ConnectorError && (error.status === 403 || error.status === 404)) {
    return new ConnectorError({
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      status: error.status,
      hint: HOOK_HINT,
      cause: error,
    });
  }
  return error;
}

/**
 * A repository webhook (`POST /repos/{owner}/{repo}/hooks`) for `events`, signed with our secret. A hook already on
 * the repository with the same URL (an earlier attempt whose answer was lost) is updated instead, so a retry
 * leaves one hook, signed with this attempt's secret.
 */
export function githubHookSubscription(
  trigger: string,
  events: readonly string[],
): WebhookSubscription<RepositoryFilter, GithubCredential, GithubClient> {
  return {
    target: (filters) => ({ repository: filters.repository?.toLowerCase() ?? null }),
    async create(ctx, filters, hook) {
      const { owner, repo } = repositoryOf(filters, trigger);
      const config = { url: hook.url, content_type: 'json', secret: hook.secret, insecure_ssl: '0' };
      try {
        const update = async (id: number) => {
          await callGithub('updateHook', () =>
            ctx.client.rest.repos.updateWebhook({
              owner,
              repo,
              hook_id: id,
              config,
              events: [...events],
              active: true,
            }),
          );
          return { id: String(id) };
        };
        const existing = await findHook(ctx, owner, repo, hook.url);
        if (existing !== undefined) return await update(existing);
        try {
          const { data } = await ctx.client.rest.repos.createWebhook({
            owner,
            repo,
            name: 'web',
            active: true,
            events: [...events],
            config,
          });
          return { id: String(Hook.parse(data).id) };
        } catch (error) {
          // 422 "Hook already exists on this repository": another attempt made it since we looked.
          const mapped = toGithubError(error, 'createHook');
          if (!(mapped instanceof ConnectorError) || mapped.status !== 422) throw mapped;
          const raced = await findHook(ctx, owner, repo, hook.url);
          if (raced === undefined) throw mapped;
          return await update(raced);
        }
      } catch (error) {
        throw withHint(error);
      }
    },
    async delete(ctx, filters, subscription) {
      const { owner, repo } = repositoryOf(filters, trigger);
      try {
        await callGithub('deleteHook', () =>
          ctx.client.rest.repos.deleteWebhook({ owner, repo, hook_id: Number(subscription.id) }),
        );
      } catch (error) {
        // Already gone (deleted by hand, or by an earlier attempt whose answer was lost).
        if (error instanceof ConnectorError && error.status === 404) return;
        throw withHint(error);
      }
    },
  };
}
