// The trigger seam: what starts runs besides a person (schedules, webhook deliveries, front-end events, chat).

export { type ChatTriggerData, dispatchChatMessage } from './chat-dispatch.ts';
export { dispatchEvent } from './event-dispatch.ts';
export { sendFormMessagePage } from './form-route.ts';
export { type HookEndpoint, hookEndpointOf } from './hook-endpoint.ts';
export { POLL_TASK, pollJobKey, syncPoll } from './poll.ts';
export { getPollStatus, type PollStatus } from './poll-state.ts';
export { nextSlot, syncSchedule } from './schedule.ts';
export {
  getTriggerEvent,
  TRIGGER_EVENT_TASK,
  type TriggerEvent,
  TriggerEventPayload,
} from './trigger-events.ts';
export { type TriggerHealth, triggerHealth } from './trigger-health.ts';
export { type TriggerKindRuntime, triggerKinds, triggerSync, triggerTasks } from './trigger-kinds.ts';
export { registerWebhookRoute, verifyHook, WEBHOOK_BODY_LIMIT } from './webhook.ts';
export { SETTABLE_SECRET, setHookSecret } from './webhook-secrets.ts';
