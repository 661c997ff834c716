import { describe, expect, it } from 'vitest';
import { builtinConnectors } from '../../connectors/index.ts';
import { coreTriggers, createCatalog } from './catalog.ts';
import { CORE_TRIGGER_TYPES } from './document.ts';
import { validateWorkflow } from './validate.ts';

const catalog = createCatalog(builtinConnectors);
const nodes = [{ id: 'a', uses: 'core.transform', with: { value: 1 } }];
const validate = (trigger: Record<string, unknown>) =>
  validateWorkflow({ schemaVersion: 1, name: 'trigger with', trigger, nodes }, { catalog });
const errorsOf = (trigger: Record<string, unknown>) =>
  validate(trigger).errors.map(({ code, path, message, hint }) => ({ code, path, message, hint }));

describe('trigger.with: every trigger parses its with, errors name the field and the fix', () => {
  /** The fields a trigger cannot do without, so that the unknown field is the only issue. */
  const REQUIRED_WITH: Record<string, Record<string, unknown>> = {
    form: { title: 'Sign up', fields: [{ name: 'email', label: 'Email', type: 'email' }] },
    'rss.newItem': { url: 'https://example.com/feed.xml' },
    's3.objectCreated': { bucket: 'acme-invoices' },
    'typeform.responseSubmitted': { formId: 'lT4Z3j' },
    'airtable.recordCreated': { baseId: 'appAAAAAAAAAAAAAA', table: 'Leads' },
    'notion.databaseItemAdded': { databaseId: '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' },
    'salesforce.recordCreated': { sobject: 'Lead' },
    'googlesheets.rowAdded': { spreadsheetId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms' },
    'trello.cardCreated': { boardId: '5abbe4b7ddc1b351ef961414' },
    'asana.taskCreated': { projectGid: '1201234567890123' },
  };

  it('refuses an unknown field for every trigger of the catalog, naming it and what the trigger takes', () => {
    for (const entry of catalog.triggers()) {
      const trigger: Record<string, unknown> = { type: entry.type, with: { bogusField: 1 } };
      if (entry.type === 'schedule') trigger.cron = '0 9 * * *';
      trigger.with = { ...REQUIRED_WITH[entry.type], bogusField: 1 };
      const [error, ...rest] = errorsOf(trigger);
      expect(rest, entry.type).toEqual([]);
      expect(error, entry.type).toMatchObject({ code: 'E_TRIGGER', path: '/trigger/with' });
      expect(error?.hint, entry.type).toContain('Remove "bogusField" from trigger.with');
      expect(error?.hint, entry.type).toMatch(/takes (no trigger\.with|"[a-zA-Z]+")/);
    }
  });

  it('webhook verify hmac needs header and algorithm; a misspelt scheme gets the closest one', () => {
    expect(errorsOf({ type: 'webhook', with: { verify: 'hmac' } }).map((error) => error.path)).toEqual([
      '/trigger/with/header',
      '/trigger/with/algorithm',
    ]);
    const [algorithm] = errorsOf({ type: 'webhook', with: { verify: 'hmac', header: 'X-Signature' } });
    expect(algorithm?.message).toContain('verify "hmac" needs with.algorithm');
    expect(algorithm?.message).toContain('"sha1", "sha256" or "sha512"');
    const [scheme] = errorsOf({ type: 'webhook', with: { verify: 'strpe' } });
    expect(scheme).toMatchObject({ path: '/trigger/with/verify' });
    expect(scheme?.hint).toContain('(did you mean "stripe"?)');
    expect(scheme?.hint).toContain('"standard-webhooks"');
    expect(
      validate({ type: 'webhook', with: { verify: 'hmac', header: 'X-Signature', algorithm: 'sha1' } }).valid,
    ).toBe(true);
  });

  it('webhook verify token is valid, with a warning that the secret travels in the URL', () => {
    const report = validate({ type: 'webhook', with: { verify: 'token' } });
    expect(report.valid).toBe(true);
    expect(report.warnings.map((warning) => [warning.code, warning.path])).toEqual([
      ['W_WEBHOOK_TOKEN_URL', '/trigger/with/verify'],
    ]);
    expect(validate({ type: 'webhook', with: { verify: 'stripe' } }).warnings).toEqual([]);
  });

  it('schedule: cron and timezone written into with are moved out; a bad cron names the field', () => {
    const [moved] = errorsOf({
      type: 'schedule',
      cron: '0 9 * * *',
      with: { cron: '0 9 * * *', timezone: 'UTC' },
    });
    expect(moved?.hint).toContain(
      'Move "cron" and "timezone" out of with: they are fields of trigger itself',
    );
    const [cron] = errorsOf({ type: 'schedule', cron: '0 25 * * *' });
    expect(cron).toMatchObject({ code: 'E_TRIGGER', path: '/trigger/cron' });
    expect(cron?.hint).toContain('minute hour day-of-month month day-of-week');
  });

  it('connector trigger filters: a misspelt filter gets the one meant; workflow.failed ids are written out', () => {
    const [repo] = errorsOf({ type: 'github.issueOpened', with: { repo: 'octo/x' } });
    expect(repo?.hint).toBe(
      'Remove "repo" from trigger.with (github.issueOpened takes "repository", "labels" in trigger.with; did you mean "repository" for "repo").',
    );
    const [failed] = errorsOf({ type: 'workflow.failed', with: { workflows: ['{{ vars.id }}'] } });
    expect(failed).toMatchObject({ code: 'E_TRIGGER', path: '/trigger/with/workflows/0' });
    expect(failed?.hint).toContain('workflow.failed takes "workflows" in trigger.with');
  });
});

describe('core trigger types', () => {
  it('the document schema accepts exactly the core triggers the catalog describes (no kind in one place only)', () => {
    expect([...CORE_TRIGGER_TYPES].sort()).toEqual(coreTriggers.map((trigger) => trigger.type).sort());
  });
});
