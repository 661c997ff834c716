import type { z } from 'zod';
import type { GoogleClient } from '../google/client.ts';
import { type ActionDefinition, defineAction } from '../sdk/define.ts';
import { restKit } from '../sdk/rest/index.ts';
import { a1, type CellValue, ValueRangeBody } from './client.ts';

/** Builders for the Google Sheets connector's declarative actions (the credential is resolved by the client). */
export const rest = restKit<unknown>();

/** A programmatic action of this connector (several calls: the header row first). */
export function sheetsAction<Input extends z.ZodType, Output extends z.ZodType>(
  action: ActionDefinition<Input, Output, unknown, GoogleClient>,
): ActionDefinition<Input, Output, unknown, GoogleClient> {
  return defineAction(action);
}

/** Row 1 of the tab: the column names rows given as objects are matched against. */
export async function headerRow(
  client: GoogleClient,
  spreadsheetId: string,
  sheet: string | undefined,
  signal: AbortSignal,
): Promise<CellValue[]> {
  const response = await client.send(
    {
      method: 'GET',
      path: `/spreadsheets/${encodeURIComponent(spreadsheetId)}/values/${encodeURIComponent(a1(sheet, '1:1'))}`,
      query: { majorDimension: 'ROWS', valueRenderOption: 'FORMATTED_VALUE' },
    },
    signal,
  );
  return ValueRangeBody.parse(response.body).values[0] ?? [];
}
