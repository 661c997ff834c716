import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { apiKeyQueryStyle } from '../sdk/auth/url-styles.ts';
import type { RestApi } from '../sdk/rest/index.ts';

export const OPENWEATHERMAP_API_URL = 'https://api.openweathermap.org/data/2.5';

export const OpenWeatherMapCredential = z.strictObject({
  apiKey: z
    .string()
    .regex(
      /^[A-Za-z0-9]{16,64}$/,
      'an OpenWeatherMap API key (32 characters from home.openweathermap.org/api_keys)',
    )
    .describe('The API key ("appid"), sent in the query string as OpenWeatherMap requires.'),
});
export type OpenWeatherMapCredential = z.infer<typeof OpenWeatherMapCredential>;

const WeatherErrorBody = z.object({ cod: z.union([z.string(), z.number()]), message: z.string() });

/** OpenWeatherMap's current weather and 5-day forecast API (key in the query as `appid`; errors `{ cod, message }`). */
export const openWeatherMapApi: RestApi<OpenWeatherMapCredential> = {
  connector: 'openweathermap',
  baseUrl: OPENWEATHERMAP_API_URL,
  auth: (credential) => bindAuth(apiKeyQueryStyle, { name: 'appid', value: credential.apiKey }),
  vendorError(body) {
    const parsed = WeatherErrorBody.safeParse(body);
    return parsed.success ? { message: parsed.data.message, vendorCode: String(parsed.data.cod) } : undefined;
  },
  hints: {
    400: 'Give exactly one place: a city ("Berlin,DE"), lat and lon, or a zip code with its country ("10115,DE").',
    401: 'The API key is wrong, not activated yet (new keys take up to 2 hours) or blocked: check it at home.openweathermap.org/api_keys and store it with `vmesh credentials set NAME --type openweathermap`.',
    404: 'OpenWeatherMap does not know this place: check the spelling, add the country code ("Paris,FR") or use lat and lon.',
    429: 'The key is over its plan’s calls per minute; the step is retried later (fewer polls or a paid plan help).',
  },
};

/** Where the weather is wanted: one of a city name, coordinates or a zip code. */
export const Place = {
  city: z
    .string()
    .min(1)
    .max(120)
    .optional()
    .describe(
      'City name, optionally with state and country code: "London", "Springfield,IL,US", "Paris,FR".',
    ),
  lat: z.number().min(-90).max(90).optional().describe('Latitude (with lon), e.g. 52.52.'),
  lon: z.number().min(-180).max(180).optional().describe('Longitude (with lat), e.g. 13.405.'),
  zip: z
    .string()
    .min(2)
    .max(20)
    .optional()
    .describe('Zip or post code with country: "94040,US", "10115,DE".'),
  units: z
    .enum(['metric', 'imperial', 'standard'])
    .default('metric')
    .describe('metric (°C, m/s; default), imperial (°F, mph) or standard (K, m/s).'),
  lang: z
    .string()
    .regex(/^[a-z]{2}(_[a-z]{2})?$/i, 'a language code such as "de" or "pt_br"')
    .optional()
    .describe('Language of the weather descriptions, e.g. "de".'),
};

type PlaceInput = {
  city?: string | undefined;
  lat?: number | undefined;
  lon?: number | undefined;
  zip?: string | undefined;
};

export function placeIssues(input: Record<string, unknown>): { field: string; message: string }[] {
  const given = ['city', 'zip', 'lat'].filter((name) => input[name] !== undefined);
  if ((input.lat === undefined) !== (input.lon === undefined)) {
    return [{ field: input.lat === undefined ? '/lat' : '/lon', message: 'lat and lon go together' }];
  }
  if (given.length !== 1) {
    return [{ field: '/city', message: 'give exactly one place: city, zip, or lat and lon' }];
  }
  return [];
}

export function placeQuery(input: PlaceInput): Record<string, string | number | undefined> {
  return { q: input.city, zip: input.zip, lat: input.lat, lon: input.lon };
}

const Conditions = z.array(z.object({ main: z.string(), description: z.string(), icon: z.string() }));

export const Location = z.object({
  name: z.string().describe('Place name as OpenWeatherMap knows it.'),
  country: z.string().nullable().describe('ISO country code, or null.'),
  lat: z.number().describe('Latitude.'),
  lon: z.number().describe('Longitude.'),
});

export const Reading = z.object({
  at: z.string().describe('Time of the data (ISO, UTC).'),
  summary: z.string().describe('Main condition, e.g. "Rain".'),
  description: z.string().describe('Condition in words, e.g. "light rain" (in `lang`).'),
  icon: z.string().describe('Icon code, e.g. "10d" (https://openweathermap.org/img/wn/10d@2x.png).'),
  temperature: z.number().describe('Temperature in the chosen units.'),
  feelsLike: z.number().describe('Felt temperature in the chosen units.'),
  humidity: z.number().describe('Relative humidity, %.'),
  pressure: z.number().describe('Pressure at sea level, hPa.'),
  windSpeed: z.number().describe('Wind speed (m/s, or mph for imperial).'),
  windDirection: z.number().nullable().describe('Wind direction, degrees.'),
  clouds: z.number().nullable().describe('Cloud cover, %.'),
  rainMm: z.number().describe('Rain in the last (current) or next (forecast) 3 hours, mm; 0 when none.'),
});
export type Reading = z.infer<typeof Reading>;

export const RawReading = z.object({
  dt: z.number(),
  weather: Conditions,
  main: z.object({ temp: z.number(), feels_like: z.number(), humidity: z.number(), pressure: z.number() }),
  wind: z.object({ speed: z.number(), deg: z.number().optional() }).optional(),
  clouds: z.object({ all: z.number() }).optional(),
  rain: z.object({ '1h': z.number().optional(), '3h': z.number().optional() }).optional(),
  pop: z.number().optional(),
});

export function toReading(raw: z.infer<typeof RawReading>): Reading {
  const condition = raw.weather[0];
  return {
    at: new Date(raw.dt * 1000).toISOString(),
    summary: condition?.main ?? 'Unknown',
    description: condition?.description ?? '',
    icon: condition?.icon ?? '',
    temperature: raw.main.temp,
    feelsLike: raw.main.feels_like,
    humidity: raw.main.humidity,
    pressure: raw.main.pressure,
    windSpeed: raw.wind?.speed ?? 0,
    windDirection: raw.wind?.deg ?? null,
    clouds: raw.clouds?.all ?? null,
    rainMm: raw.rain?.['3h'] ?? raw.rain?.['1h'] ?? 0,
  };
}
