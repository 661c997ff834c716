import { expect, it } from 'vitest';
import type { ScriptedModelServer } from '../../agent/testing/scripted-model-server.ts';
import type { WorkflowPort } from '../workflow-port.ts';

/** How the contract drives one front-end through its own platform's wire format. */
export type BotDriver = {
  /** Delivers a person's message (mention, DM, command, chat call…) and waits until it is handled. */
  send(text: string): Promise<void>;
  /** Everything the person has been shown so far, as text. */
  shownText(): string;
  /** The latest proposal as rendered, with its Approve/Reject controls. */
  lastProposal(): { proposalId: string; approve: boolean; reject: boolean } | undefined;
  /** Clicks Approve (through the platform) and waits until it is handled. */
  approve(proposalId: string): Promise<void>;
  /** Redelivers the last message the way the platform retries (absent where the platform never redelivers). */
  redeliverLast?: () => Promise<void>;
  /** Sends a message with a bad signature or no credentials; resolves with the HTTP status. */
  sendForged(): Promise<number>;
};

export type ContractContext = {
  model: ScriptedModelServer;
  workflows: WorkflowPort;
  driver: () => BotDriver;
};

const documentFor = (name: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [{ id: 'shape', uses: 'core.transform', with: { value: 'hello' } }],
  edges: [],
});

/**
 * The behaviour every front-end shares, run against the REAL conversation service (real Postgres, the
 * scripted model server speaking OpenAI's wire format): call inside a `describe` after setup.
 */
export function runBotContract(adapter: string, context: () => ContractContext): void {
  const workflowName = `Contract ${adapter}`;

  it(`${adapter}: a message yields a reply`, async () => {
    const { model, driver } = context();
    model.setScript([{ text: `Hello from the agent via ${adapter}.` }]);
    await driver().send('hello');
    expect(driver().shownText()).toContain(`Hello from the agent via ${adapter}.`);
  });

  it(`${adapter}: a proposal renders with approve and reject`, async () => {
    const { model, driver } = context();
    model.setScript([
      {
        toolCalls: [
          {
            name: 'propose_workflow',
            input: { document: documentFor(workflowName), summary: 'Says hello.' },
          },
        ],
      },
      { text: 'Proposed.' },
    ]);
    await driver().send('make me a hello workflow');
    expect(driver().lastProposal()).toMatchObject({ approve: true, reject: true });
    expect(driver().shownText()).toContain(workflowName);
  });

  it(`${adapter}: approve activates the workflow`, async () => {
    const { workflows, driver } = context();
    const proposal = driver().lastProposal();
    if (!proposal) throw new Error('no proposal to approve');
    await driver().approve(proposal.proposalId);
    const all = await workflows.listWorkflows();
    expect(all.find((workflow) => workflow.name === workflowName)?.status).toBe('active');
  });

  it(`${adapter}: a retried or duplicate delivery causes no second turn`, async (test) => {
    const { model, driver } = context();
    const redeliver = driver().redeliverLast;
    if (!redeliver) {
      test.skip(`${adapter} has no redelivery: each request is answered on its own connection`);
      return;
    }
    model.setScript([{ text: 'only once' }]);
    await driver().send('count me once');
    const calls = model.requests.length;
    await redeliver();
    expect(model.requests.length).toBe(calls);
  });

  it(`${adapter}: a forged request is refused`, async () => {
    const { model, driver } = context();
    const calls = model.requests.length;
    expect(await driver().sendForged()).toBe(401);
    expect(model.requests.length).toBe(calls);
  });
}
