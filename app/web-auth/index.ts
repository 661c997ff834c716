// Web sign-in: sessions, CSRF, OIDC and one-time links (the app's /auth routes and `vmesh login-link`).
export { createLoginLink, DEFAULT_LINK_TTL_MS, MAX_LINK_TTL_MS } from './login-links.ts';
export { SESSION_COOKIE } from './session-store.ts';
export { CSRF_HEADER, createWebAuth, type WebAuth } from './web-auth.ts';
export { parseDuration, parseWebAuthConfig, type WebAuthConfig } from './web-auth-config.ts';
