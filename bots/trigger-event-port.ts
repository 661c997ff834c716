/**
 * Hands the vendor events a front-end receives to the runtime's event triggers (e.g. a Slack `message` event to
 * "slack.messagePosted"), which start the matching active workflows' runs.
 */
export type TriggerEventPort = {
  /** `deliveryId` is the vendor's id of the event: a redelivery with the same id starts no second run. */
  dispatch(
    type: string,
    event: unknown,
    options: { deliveryId?: string | undefined },
  ): Promise<{ runIds: string[] }>;
};
