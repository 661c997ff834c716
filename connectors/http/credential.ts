import { AUTH_STYLES, authStyleOf, type BoundAuth, bindAuth } from '../sdk/auth/index.ts';
import type { CredentialDefinition } from '../sdk/define.ts';
import { HttpCredential, httpCredentialAuth, httpWireSecrets } from './client.ts';

const STYLE_TYPES = AUTH_STYLES.map((style) => `\`${style.type}\``).join(', ');

export const HTTP_CREDENTIAL_HOW_TO = `A credential of one of the auth styles (${STYLE_TYPES}; see the http connector's doc), e.g. \`vmesh credentials set NAME --type bearer\` with the token on stdin; or an \`http\` credential: {"scheme":"bearer","token":"…"}, {"scheme":"basic","username":"…","password":"…"} or {"scheme":"header","name":"X-Api-Key","value":"…"}. A bare token on stdin becomes a bearer token.`;

/**
 * The credential http.request and imported OpenAPI connectors take: the `http` type, or any auth style (the
 * stored credential's type decides). The client receives it bound to its style.
 */
export function httpCredentialDefinition(howToGet: string = HTTP_CREDENTIAL_HOW_TO): CredentialDefinition {
  return {
    type: 'http',
    schema: HttpCredential,
    optional: true,
    howToGet,
    fromToken: (token) => ({ scheme: 'bearer', token }),
    wireSecrets: httpWireSecrets,
    publicFields: ['scheme', 'name'],
    alternatives: AUTH_STYLES,
    adopt(type, credential): BoundAuth {
      const style = authStyleOf(type);
      return style ? bindAuth(style, credential) : httpCredentialAuth(credential as HttpCredential);
    },
  };
}
