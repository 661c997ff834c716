import { z } from 'zod';
import {
  type ConnectorDefinition,
  type CredentialDefinition,
  credentialTypesOf,
  OAuth2Config,
} from '../../connectors/index.ts';

/** One top-level field of a credential type: never a value. */
export type CredentialFieldView = {
  name: string;
  /** The field's description, else its name. */
  label: string;
  /** Not one of the type's publicFields: typed into a password box, never shown again. */
  secret: boolean;
  optional: boolean;
  /** A list of strings (typed space-separated). */
  list: boolean;
};

/** A credential type as GET /api/credential-types shows it. */
export type CredentialTypeView = {
  type: string;
  /** The title of the connector whose own credential type it is (none for the auth styles every HTTP connector takes). */
  title?: string;
  howToGet: string;
  /**
   * How POST /api/credentials/:name/connect connects it: `oauth2` (a link to the provider; the app settings are
   * given as `fields`), `paste` (a link to a form with `fields`), `none` (`vmesh credentials set` only).
   */
  connect: 'oauth2' | 'paste' | 'none';
  fields: CredentialFieldView[];
  /** oauth2: the app settings the connect request takes as `fields` (a reconnect may leave them out). */
  settings?: CredentialFieldView[];
};

/** The top-level fields of an object schema, as a paste form asks for them (the same rule as the connect page). */
export function fieldsOfSchema(
  schema: z.ZodType,
  publicFields: readonly string[] = [],
): CredentialFieldView[] {
  if (!(schema instanceof z.ZodObject)) return [];
  const open = new Set(publicFields);
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => {
    const inner = field instanceof z.ZodOptional || field instanceof z.ZodDefault ? field.unwrap() : field;
    return {
      name,
      label: field.description ?? name,
      secret: !open.has(name),
      optional: field.safeParse(undefined).success,
      list: inner instanceof z.ZodArray,
    };
  });
}

const OAUTH2_PUBLIC_SETTINGS = ['authorizeUrl', 'tokenUrl', 'clientId', 'scopes', 'provider'];

function viewOf(definition: CredentialDefinition, title: string | undefined): CredentialTypeView {
  const fields = fieldsOfSchema(definition.schema, definition.publicFields);
  const oauth2 = definition.type === 'oauth2';
  return {
    type: definition.type,
    ...(title ? { title } : {}),
    howToGet: definition.howToGet,
    connect: oauth2 ? 'oauth2' : fields.length > 0 ? 'paste' : 'none',
    fields,
    ...(oauth2 ? { settings: fieldsOfSchema(OAuth2Config, OAUTH2_PUBLIC_SETTINGS) } : {}),
  };
}

/** The credential types the connectors declare, each once, sorted by type. */
export function credentialTypeViews(connectors: readonly ConnectorDefinition[]): CredentialTypeView[] {
  const titles = new Map<string, string>();
  for (const connector of connectors) {
    const own = connector.credential?.type;
    if (own && !titles.has(own)) titles.set(own, connector.title);
  }
  return credentialTypesOf(connectors)
    .map((definition) => viewOf(definition, titles.get(definition.type)))
    .sort((a, b) => a.type.localeCompare(b.type));
}
