import type { FastifyRequest } from 'fastify';

export type RouteClass =
  | 'api'
  | 'hook'
  | 'resume'
  | 'form'
  | 'connect'
  | 'chat'
  | 'mcp'
  | 'health'
  | 'page'
  | 'other';

export type RoutedRequest = {
  kind: RouteClass;
  /** The route pattern fastify matched (e.g. `/hooks/:workflowId`); undefined for a request no route took (404). */
  route: string | undefined;
  /** The decoded params of that route. */
  params: Readonly<Record<string, string>>;
};

const PAGE_ROUTES = new Set(['/', '/assets/*']);

/**
 * Which family a request belongs to, from the route fastify routed it to (known in onRequest), never from the raw
 * URL: `/%61pi/workflows`, `/api/./workflows` and `/api/workflows` are one route. A request no route takes is
 * 'other' (it gets a 404, after every guard that applies to all requests).
 */
export function routeClassOf(request: FastifyRequest): RoutedRequest {
  const route = request.routeOptions.url;
  const params = paramsOf(request.params);
  return { kind: kindOf(route), route, params };
}

function kindOf(route: string | undefined): RouteClass {
  if (route === undefined) return 'other';
  if (route === '/api' || route.startsWith('/api/')) return 'api';
  if (route === '/hooks/:workflowId' || route === '/hooks/:workflowId/:token') return 'hook';
  if (route === '/resume/:token') return 'resume';
  if (route === '/forms/:workflowId') return 'form';
  // Connect-link pages: the paste form and the OAuth2 provider's redirect back (runtime/api/connect-routes.ts).
  if (route === '/connect/:token' || route === '/oauth/callback') return 'connect';
  if (route === '/chat/api' || route.startsWith('/chat/api/')) return 'chat';
  if (route === '/mcp') return 'mcp';
  if (route === '/healthz') return 'health';
  if (PAGE_ROUTES.has(route)) return 'page';
  return 'other';
}

function paramsOf(params: unknown): Record<string, string> {
  if (typeof params !== 'object' || params === null) return {};
  return Object.fromEntries(
    Object.entries(params).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
