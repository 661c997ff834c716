import { z } from 'zod';
import { Location, Place, placeIssues, placeQuery, RawReading, Reading, toReading } from '../client.ts';
import { rest } from '../kit.ts';

export const ForecastInput = z.strictObject({
  ...Place,
  hours: z
    .number()
    .int()
    .min(3)
    .max(120)
    .default(24)
    .describe('How far ahead, in hours (3–120, default 24); readings come every 3 hours.'),
});

const RawForecast = z.object({
  list: z.array(RawReading),
  city: z.object({
    name: z.string(),
    country: z.string().optional(),
    coord: z.object({ lat: z.number(), lon: z.number() }),
  }),
});

export const forecast = rest.action({
  key: 'forecast',
  title: 'Weather forecast',
  description:
    'The forecast in 3-hour steps for up to 5 days at a city, coordinates or zip code, with rain chances (OpenWeatherMap).',
  effect: 'read',
  idempotent: true,
  input: ForecastInput,
  output: z.object({
    location: Location.describe('Where the forecast is for.'),
    entries: z
      .array(Reading.extend({ rainChance: z.number().describe('Probability of precipitation, 0–1.') }))
      .describe('One reading per 3 hours, soonest first.'),
    units: z.string().describe('The units of the numbers.'),
  }),
  checkWith: (withValue) =>
    placeIssues(withValue).map((issue) => ({
      code: 'E_PARAMS',
      ...issue,
      hint: 'Set one of city, zip, or lat with lon.',
    })),
  http: {
    method: 'GET',
    path: '/forecast',
    query: (input) => ({
      ...placeQuery(input),
      units: input.units,
      lang: input.lang,
      cnt: Math.ceil(input.hours / 3),
    }),
  },
  project(response, input) {
    const raw = RawForecast.parse(response.body);
    return {
      location: {
        name: raw.city.name,
        country: raw.city.country ?? null,
        lat: raw.city.coord.lat,
        lon: raw.city.coord.lon,
      },
      entries: raw.list.map((entry) => ({ ...toReading(entry), rainChance: entry.pop ?? 0 })),
      units: input.units,
    };
  },
});
