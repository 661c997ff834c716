import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  type GoogleFakeAuth,
  type GooglePrincipal,
  googleError,
  mountGoogleAuth,
  sharedFile,
} from '../google/fake-auth.ts';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

type Cell = string | number | boolean;
type Tab = { sheetId: number; title: string; rows: (Cell | null)[][] };
type Spreadsheet = { id: string; title: string; tabs: Tab[]; sharedWith: Set<string> };

export type SheetsFake = {
  /** Give as env.baseUrls.googlesheets (the v4 root). */
  url: string;
  /** Give as env.baseUrls['google-oauth'] (tokeninfo); the token endpoint is `${oauthUrl}/token`. */
  oauthUrl: string;
  auth: GoogleFakeAuth;
  requests: RecordedRequest[];
  /** A spreadsheet with tabs of rows (row 1 first), shared with the fake person and the service account. */
  create(title: string, tabs: Record<string, Cell[][]>, options?: { sharedWith?: string[] }): string;
  /** The cells of a tab as stored (null: empty). */
  rows(spreadsheetId: string, tab: string): (Cell | null)[][];
  /** Adds rows at the end of a tab, as a person typing them would. */
  type(spreadsheetId: string, tab: string, rows: Cell[][]): void;
  /**
   * Route keys: `values.get`, `values.batchGet`, `values.update`, `values.append`, `values.clear`,
   * `spreadsheets.get`.
   */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

const READ_SCOPES = [
  'https://www.googleapis.com/auth/spreadsheets',
  'https://www.googleapis.com/auth/spreadsheets.readonly',
  'https://www.googleapis.com/auth/drive',
  'https://www.googleapis.com/auth/drive.readonly',
];
const WRITE_SCOPES = [
  'https://www.googleapis.com/auth/spreadsheets',
  'https://www.googleapis.com/auth/drive',
];
const MAX_COLUMNS = 18_278;

/** Column letters → 0-based index (A → 0). */
const columnOf = (letters: string) =>
  [...letters.toUpperCase()].reduce((sum, letter) => sum * 26 + (letter.charCodeAt(0) - 64), 0) - 1;
const letterOf = (index: number): string => {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
};

/** A parsed A1 range: 0-based, inclusive; undefined ends are open. */
type Area = { tab: Tab; c1: number; r1: number; c2: number | undefined; r2: number | undefined };

const sheetLabel = (title: string) =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(title) && !/^[A-Za-z]{1,3}\d+$/.test(title)
    ? title
    : `'${title.replaceAll("'", "''")}'`;

function formatArea(area: { tab: Tab; c1: number; r1: number; c2: number; r2: number }): string {
  const from = `${letterOf(area.c1)}${area.r1 + 1}`;
  const to = `${letterOf(area.c2)}${area.r2 + 1}`;
  return `${sheetLabel(area.tab.title)}!${from === to ? from : `${from}:${to}`}`;
}

/** Google's A1 notation: [sheet!]cells, the sheet quoted with '' escapes; cells A1, A1:C5, A:C, 2:5, A2:C. */
function parseA1(sheet: Spreadsheet, text: string): Area | undefined {
  let tabName: string | undefined;
  let cells: string | undefined = text;
  const bang = text.lastIndexOf('!');
  if (bang >= 0) {
    const raw = text.slice(0, bang);
    tabName = raw.startsWith("'") && raw.endsWith("'") ? raw.slice(1, -1).replaceAll("''", "'") : raw;
    cells = text.slice(bang + 1);
  } else {
    const unquoted =
      text.startsWith("'") && text.endsWith("'") ? text.slice(1, -1).replaceAll("''", "'") : text;
    if (sheet.tabs.some((tab) => tab.title === unquoted)) {
      tabName = unquoted;
      cells = undefined;
    }
  }
  const tab =
    tabName === undefined ? sheet.tabs[0] : sheet.tabs.find((candidate) => candidate.title === tabName);
  if (!tab) return undefined;
  if (cells === undefined || cells === '') return { tab, c1: 0, r1: 0, c2: undefined, r2: undefined };
  const match = /^([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?$/.exec(cells);
  if (!match || (!match[1] && !match[2])) return undefined;
  const [, col1 = '', row1 = '', col2, row2] = match;
  const second = col2 !== undefined || row2 !== undefined;
  return {
    tab,
    c1: col1 ? columnOf(col1) : 0,
    r1: row1 ? Number(row1) - 1 : 0,
    c2: second ? (col2 ? columnOf(col2) : undefined) : col1 ? columnOf(col1) : undefined,
    r2: second ? (row2 ? Number(row2) - 1 : undefined) : row1 ? Number(row1) - 1 : undefined,
  };
}

/** USER_ENTERED reads numbers and booleans as typed; RAW keeps text. */
function entered(value: unknown, option: string): Cell | null | undefined {
  if (value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = String(value);
  if (option === 'RAW') return text;
  if (text.startsWith("'")) return text.slice(1);
  if (/^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  if (/^(true|false)$/i.test(text.trim())) return text.trim().toLowerCase() === 'true';
  return text;
}

function rendered(cell: Cell | null | undefined, option: string): Cell {
  if (cell === null || cell === undefined) return '';
  if (option === 'UNFORMATTED_VALUE' || option === 'FORMULA') return cell;
  return typeof cell === 'boolean' ? (cell ? 'TRUE' : 'FALSE') : String(cell);
}

/** The values of an area as Google answers them: trailing empty rows and cells left out, the range trimmed too. */
function readArea(area: Area, render: string) {
  const lastRow = Math.min(area.r2 ?? Number.POSITIVE_INFINITY, area.tab.rows.length - 1);
  const values: Cell[][] = [];
  let maxColumn = area.c1;
  for (let row = area.r1; row <= lastRow; row++) {
    const cells = area.tab.rows[row] ?? [];
    const lastColumn = Math.min(area.c2 ?? MAX_COLUMNS, cells.length - 1);
    const out: Cell[] = [];
    for (let column = area.c1; column <= lastColumn; column++) out.push(rendered(cells[column], render));
    while (out.length > 0 && out.at(-1) === '') out.pop();
    maxColumn = Math.max(maxColumn, area.c1 + out.length - 1);
    values.push(out);
  }
  while (values.length > 0 && values.at(-1)?.length === 0) values.pop();
  const range = formatArea({
    tab: area.tab,
    c1: area.c1,
    r1: area.r1,
    c2: area.c2 ?? Math.max(maxColumn, area.c1),
    r2: area.r2 ?? Math.max(area.r1, area.r1 + values.length - 1),
  });
  return { range, majorDimension: 'ROWS', ...(values.length > 0 ? { values } : {}) };
}

function writeCells(tab: Tab, row: number, column: number, values: unknown[][], option: string): number {
  let written = 0;
  values.forEach((cells, offset) => {
    const target = row + offset;
    while (tab.rows.length <= target) tab.rows.push([]);
    const stored = tab.rows[target] ?? [];
    cells.forEach((value, index) => {
      const cell = entered(value, option);
      if (cell === undefined) return;
      while (stored.length <= column + index) stored.push(null);
      stored[column + index] = cell;
      written += 1;
    });
    tab.rows[target] = stored;
  });
  return written;
}

const lastDataRow = (tab: Tab) => {
  for (let row = tab.rows.length - 1; row >= 0; row--)
    if ((tab.rows[row] ?? []).some((cell) => cell !== null && cell !== '')) return row;
  return -1;
};

/**
 * A local Google Sheets API v4 (https://developers.google.com/workspace/sheets/api/reference/rest): spreadsheets.get,
 * values.get / batchGet / update / append / clear with valueInputOption and valueRenderOption, A1 ranges with quoted
 * tab names, Google's error body (400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED and missing
 * scopes, 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED), sharing per principal, and Google's token endpoint and tokeninfo.
 */
export async function startSheetsFake(): Promise<SheetsFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const sheets = new Map<string, Spreadsheet>();
  let base = '';
  const auth = mountGoogleAuth(app, () => base);
  let nextTabId = 1;

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    if (!request.url.startsWith('/v4/')) return;
    const failure = failures.take(routeOf(request));
    if (failure) return sendFailure(reply, failure);
  });

  const routeOf = (request: FastifyRequest): string => {
    const path = request.url.split('?')[0] ?? '';
    if (path.endsWith('/values:batchGet')) return 'values.batchGet';
    if (!path.includes('/values/')) return 'spreadsheets.get';
    if (/%3Aappend$|:append$/.test(path)) return 'values.append';
    if (/%3Aclear$|:clear$/.test(path)) return 'values.clear';
    return request.method === 'PUT' ? 'values.update' : 'values.get';
  };

  /** The spreadsheet, when the principal may use it with the scopes of the method; else Google's answer is sent. */
  const open = (
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    write: boolean,
  ): { sheet: Spreadsheet; principal: GooglePrincipal } | undefined => {
    const principal = auth.principal(request, reply);
    if (!principal) return undefined;
    const scopes = write ? WRITE_SCOPES : READ_SCOPES;
    if (!scopes.some((scope) => principal.scopes.has(scope))) {
      void reply.code(403).send(
        googleError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', {
          reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
              domain: 'googleapis.com',
              metadata: {
                service: 'sheets.googleapis.com',
                method: 'google.apps.sheets.v4.SpreadsheetsService',
              },
            },
          ],
        }),
      );
      return undefined;
    }
    const sheet = sharedFile(reply, sheets.get(id), (found) => found.sharedWith, principal);
    if (!sheet) return undefined;
    return { sheet, principal };
  };

  const badRange = (reply: FastifyReply, range: string) =>
    reply
      .code(400)
      .send(
        googleError(400, 'INVALID_ARGUMENT', `Unable to parse range: ${range}`, { reason: 'badRequest' }),
      );

  type Query = Record<string, string | string[] | undefined>;
  const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

  app.get<{ Params: { id: string }; Querystring: Query }>('/v4/spreadsheets/:id', async (request, reply) => {
    const opened = open(request, reply, request.params.id, false);
    if (!opened) return reply;
    const { sheet } = opened;
    return {
      spreadsheetId: sheet.id,
      spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${sheet.id}/edit`,
      properties: { title: sheet.title, locale: 'en_US', timeZone: 'Etc/GMT' },
      sheets: sheet.tabs.map((tab, index) => ({
        properties: {
          sheetId: tab.sheetId,
          title: tab.title,
          index,
          sheetType: 'GRID',
          gridProperties: { rowCount: Math.max(1000, tab.rows.length), columnCount: 26 },
        },
      })),
    };
  });

  app.get<{ Params: { id: string }; Querystring: Query }>(
    '/v4/spreadsheets/:id/values::batchGet',
    async (request, reply) => {
      const opened = open(request, reply, request.params.id, false);
      if (!opened) return reply;
      const raw = request.query.ranges;
      const ranges = Array.isArray(raw) ? raw : raw ? [raw] : [];
      const render = one(request.query.valueRenderOption) ?? 'FORMATTED_VALUE';
      const valueRanges = [];
      for (const range of ranges) {
        const area = parseA1(opened.sheet, range);
        if (!area) return badRange(reply, range);
        valueRanges.push(readArea(area, render));
      }
      return { spreadsheetId: opened.sheet.id, valueRanges };
    },
  );

  /** values/{range}[:append|:clear]: the range is one percent-encoded segment. */
  const valuesTarget = (request: FastifyRequest): { id: string; range: string; verb: string } | undefined => {
    const path = request.url.split('?')[0] ?? '';
    const match = /^\/v4\/spreadsheets\/([^/]+)\/values\/([^/]+)$/.exec(path);
    if (!match) return undefined;
    const decoded = decodeURIComponent(match[2] ?? '');
    const verb = /:(append|clear)$/.exec(decoded)?.[1] ?? '';
    return {
      id: decodeURIComponent(match[1] ?? ''),
      range: verb ? decoded.slice(0, -verb.length - 1) : decoded,
      verb,
    };
  };

  app.route<{ Querystring: Query }>({
    method: ['GET', 'PUT', 'POST'],
    url: '/v4/spreadsheets/:id/values/*',
    handler: async (request, reply) => {
      const target = valuesTarget(request);
      if (!target) return reply.code(404).send(googleError(404, 'NOT_FOUND', 'Method not found.'));
      const write = request.method !== 'GET';
      const opened = open(request, reply, target.id, write);
      if (!opened) return reply;
      const area = parseA1(opened.sheet, target.range);
      if (!area) return badRange(reply, target.range);
      const option = one(request.query.valueInputOption);
      const body = (request.body ?? {}) as { values?: unknown[][]; majorDimension?: string };
      if (request.method === 'GET')
        return readArea(area, one(request.query.valueRenderOption) ?? 'FORMATTED_VALUE');
      if (target.verb === 'clear') {
        const cleared = readArea({ ...area }, 'FORMATTED_VALUE');
        const lastRow = Math.min(area.r2 ?? Number.POSITIVE_INFINITY, area.tab.rows.length - 1);
        for (let row = area.r1; row <= lastRow; row++) {
          const cells = area.tab.rows[row] ?? [];
          const lastColumn = Math.min(area.c2 ?? MAX_COLUMNS, cells.length - 1);
          for (let column = area.c1; column <= lastColumn; column++) cells[column] = null;
        }
        return { spreadsheetId: opened.sheet.id, clearedRange: cleared.range };
      }
      if (option !== 'RAW' && option !== 'USER_ENTERED') {
        return reply.code(400).send(
          googleError(400, 'INVALID_ARGUMENT', "'valueInputOption' is required but not specified", {
            reason: 'badRequest',
          }),
        );
      }
      const values = Array.isArray(body.values) ? body.values.filter(Array.isArray) : [];
      const width = values.reduce((max, row) => Math.max(max, row.length), 0);
      if (target.verb === 'append') {
        const tableEnd = lastDataRow(area.tab);
        const startRow = Math.max(tableEnd + 1, area.r1);
        const cells = writeCells(area.tab, startRow, area.c1, values, option);
        const updatedRange = formatArea({
          tab: area.tab,
          c1: area.c1,
          r1: startRow,
          c2: area.c1 + Math.max(width, 1) - 1,
          r2: startRow + Math.max(values.length, 1) - 1,
        });
        return {
          spreadsheetId: opened.sheet.id,
          ...(tableEnd >= 0
            ? {
                tableRange: formatArea({
                  tab: area.tab,
                  c1: area.c1,
                  r1: 0,
                  c2: area.c1 + Math.max(width, 1) - 1,
                  r2: tableEnd,
                }),
              }
            : {}),
          updates: {
            spreadsheetId: opened.sheet.id,
            updatedRange,
            updatedRows: values.length,
            updatedColumns: width,
            updatedCells: cells,
          },
        };
      }
      const cells = writeCells(area.tab, area.r1, area.c1, values, option);
      return {
        spreadsheetId: opened.sheet.id,
        updatedRange: formatArea({
          tab: area.tab,
          c1: area.c1,
          r1: area.r1,
          c2: area.c1 + Math.max(width, 1) - 1,
          r2: area.r1 + Math.max(values.length, 1) - 1,
        }),
        updatedRows: values.length,
        updatedColumns: width,
        updatedCells: cells,
      };
    },
  });

  const origin = await listenLocal(app);
  base = origin;
  return {
    url: `${origin}/v4`,
    oauthUrl: origin,
    auth,
    requests,
    create(title, tabs, options = {}) {
      const id = `1${randomBytes(24)
        .toString('base64url')
        .replace(/[^A-Za-z0-9]/g, 'x')
        .slice(0, 43)}`;
      sheets.set(id, {
        id,
        title,
        tabs: Object.entries(tabs).map(([tabTitle, rows]) => ({
          sheetId: nextTabId++ === 1 ? 0 : nextTabId * 1000,
          title: tabTitle,
          rows: rows.map((row) => [...row]),
        })),
        sharedWith: new Set(options.sharedWith ?? [auth.personEmail, auth.robotEmail]),
      });
      return id;
    },
    rows(spreadsheetId, tab) {
      return sheets.get(spreadsheetId)?.tabs.find((candidate) => candidate.title === tab)?.rows ?? [];
    },
    type(spreadsheetId, tab, rows) {
      const found = sheets.get(spreadsheetId)?.tabs.find((candidate) => candidate.title === tab);
      if (found) writeCells(found, lastDataRow(found) + 1, 0, rows, 'USER_ENTERED');
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
