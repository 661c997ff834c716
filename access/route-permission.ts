import type { FastifyInstance } from 'fastify';
import { ForbiddenError } from '../lib/index.ts';
import { assertAllowed, principalOf } from './http.ts';
import { Permission } from './roles.ts';

/**
 * What a route needs: a permission, `'signed-in'` (any principal; the handler decides per object, e.g. one's own
 * tokens), or `'public'` (nobody: the OpenAPI document).
 */
export type RoutePermission = Permission | 'signed-in' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route under /api/ (installRouteAuthorization refuses to register one without it). */
    permission?: RoutePermission;
  }
}

export const API_PREFIX = '/api/';

/** Route options declaring what the route needs: `app.get(path, needs('run.read'), handler)`. */
export function needs(permission: RoutePermission): { config: { permission: RoutePermission } } {
  return { config: { permission } };
}

export function isRoutePermission(value: unknown): value is RoutePermission {
  return value === 'signed-in' || value === 'public' || Permission.safeParse(value).success;
}

const DECORATION = 'vmeshRouteAuthorization';

export type ApiRoute = { method: string; url: string };
const API_ROUTES = new WeakMap<FastifyInstance, ApiRoute[]>();

/** Every /api route registered on `app` since installRouteAuthorization (HEAD left out), e.g. to check the OpenAPI document. */
export function apiRoutesOf(app: FastifyInstance): readonly ApiRoute[] {
  return API_ROUTES.get(app) ?? [];
}

/**
 * Every route under /api/ is authorized on its ROUTED path (never the raw URL): it must declare
 * `config.permission` (a route without one fails to register, and is refused at request time should one slip
 * by), and a request needs a principal (401) holding that permission (403) before its handler runs. Installed
 * once per server; routes of any plugin registered after it are covered.
 */
export function installRouteAuthorization(app: FastifyInstance): void {
  if (app.hasDecorator(DECORATION)) return;
  app.decorate(DECORATION, true);
  const routes: ApiRoute[] = [];
  API_ROUTES.set(app, routes);
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(API_PREFIX)) return;
    for (const method of [route.method].flat())
      if (method !== 'HEAD') routes.push({ method: String(method), url: route.url });
    if (!isRoutePermission(route.config?.permission)) {
      throw new Error(
        `${String(route.method)} ${route.url} declares no permission: give it config.permission (access/route-permission.ts).`,
      );
    }
  });
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route === undefined || !route.startsWith(API_PREFIX)) return;
    const permission = request.routeOptions.config.permission;
    if (!isRoutePermission(permission)) {
      throw new ForbiddenError({
        code: 'E_FORBIDDEN',
        message: `${route} declares no permission, so nobody may use it.`,
        hint: 'This is a server bug: the route must declare config.permission.',
      });
    }
    if (permission === 'public') return;
    const principal = principalOf(request);
    if (permission !== 'signed-in') assertAllowed(principal, permission);
  });
}
