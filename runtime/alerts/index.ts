export { alertRuleNotFound, assertMayManageAlertRule, maySeeAlertRule } from './alert-access.ts';
export type { AlertSubject } from './alert-conditions.ts';
export * from './alert-rule.ts';
export {
  type AlertEventView,
  createAlertRule,
  deleteAlertRule,
  getAlertRule,
  listAlertEvents,
  listAlertRules,
  type StoredAlertRule,
  toRuleView,
  updateAlertRule,
} from './alert-rule-store.ts';
export { createAlertsTask } from './alerts-task.ts';
export { type AlertChatPorts, alertText, createAlertDeliverer, signAlertBody } from './deliver-alert.ts';
export {
  ALERTS_CRONTAB,
  ALERTS_TASK,
  type AlertDeliver,
  type AlertNotice,
  evaluateAlerts,
} from './evaluate-alerts.ts';
export { fieldPathsOf } from './output-shape.ts';
