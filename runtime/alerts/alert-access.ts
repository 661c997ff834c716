import { allows, assertAllowed, canSee, credentialUse, type Principal } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/index.ts';
import { visibleWorkflow } from '../store/object-access.ts';
import { workflowOwnership } from '../store/workflow-store.ts';
import { isExternalDestination, type StoredAlertDestination } from './alert-rule.ts';

// Who may see and change alert rules. A workflow's rules are seen by whoever may see the workflow; changing them
// needs workflow.activate (operators pause and resume workflows too). A rule over every workflow is an admin's
// (workflow.manage_all). Sending anywhere but the workflow's own conversation takes facts about workflows out of
// the chat: that needs workflow.propose (builders), and an email credential the person may use.

export const alertRuleNotFound = (id: string) =>
  new NotFoundError({
    code: 'E_NOT_FOUND',
    message: `There is no alert rule ${id}.`,
    hint: 'List the rules with GET /api/alerts or `vmesh alerts list`.',
  });

/** True when `principal` may see a rule on `workflowId` (null: every workflow). */
export async function maySeeAlertRule(
  sql: Sql,
  principal: Principal,
  workflowId: string | null,
): Promise<boolean> {
  if (!allows(principal, 'workflow.read')) return false;
  if (workflowId === null) return allows(principal, 'workflow.manage_all');
  const ownership = await workflowOwnership(sql, workflowId);
  return ownership !== undefined && canSee(principal, ownership);
}

/** Throws (403/404/400) unless `principal` may make or change a rule with this scope and destination. */
export async function assertMayManageAlertRule(
  sql: Sql,
  principal: Principal,
  rule: { workflowId: string | null; destination: StoredAlertDestination },
): Promise<void> {
  assertAllowed(principal, 'workflow.activate');
  if (rule.workflowId === null) assertAllowed(principal, 'workflow.manage_all');
  else await visibleWorkflow(sql, principal, rule.workflowId);
  if (isExternalDestination(rule.destination)) assertAllowed(principal, 'workflow.propose');
  if (rule.destination.type === 'email') {
    const use = await credentialUse(sql, principal.userId, [rule.destination.credential]);
    if (use.missing.length > 0)
      throw new ValidationError({
        code: 'E_ALERT_CREDENTIAL',
        message: `There is no stored credential "${rule.destination.credential}" to send alert emails with.`,
        hint: `Store an SMTP credential first: vmesh credentials set ${rule.destination.credential} --type smtp`,
      });
    if (use.forbidden.length > 0)
      throw new ForbiddenError({
        code: 'E_FORBIDDEN',
        message: `${principal.name} may not use the credential "${rule.destination.credential}".`,
        hint: 'Use one of your own credentials, or one shared with the workspace.',
      });
  }
}
