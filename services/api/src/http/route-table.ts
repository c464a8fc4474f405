import { forEachOpenApiProcedure, type OpenApiRouter } from 'trpc-to-openapi';

/** A route in OpenAPI notation (`/products/{id}`) and the methods it answers. */
export interface Route {
  path: string;
  methods: readonly string[];
}

/** A route answered by a Hono handler of its own rather than by a procedure's REST twin. */
export interface HandlerRoute extends Route {
  /** Every path below it is this route too: a single-page app's pages and assets. */
  subtree?: true;
}

/**
 * The routes that are not procedures; the procedures' routes come from their `openapi` meta. A
 * subtree gets one metrics label but no 405: another method under it is the REST twin's 404.
 * `products.onChange` (the live stream) is a procedure: its label is `/trpc/products.onChange`.
 */
export const HANDLER_ROUTES: readonly HandlerRoute[] = [
  { path: '/healthz', methods: ['GET'] },
  { path: '/readyz', methods: ['GET'] },
  { path: '/readyz/all', methods: ['GET'] },
  { path: '/metrics', methods: ['GET'] },
  { path: '/openapi.json', methods: ['GET'] },
  { path: '/products/{id}/images', methods: ['POST'] },
  { path: '/products/{id}/images/{imageId}/original', methods: ['GET'] },
  { path: '/dev/token', methods: ['POST'] },
  { path: '/console', methods: ['GET'], subtree: true },
  { path: '/shop', methods: ['GET'], subtree: true },
];

/** The routes of the router's procedures that have a REST twin, from their `openapi` meta. */
export function procedureRoutes(router: OpenApiRouter): Route[] {
  const routes: Route[] = [];
  forEachOpenApiProcedure(router._def.procedures, ({ meta }) => {
    routes.push({ path: meta.openapi.path, methods: [meta.openapi.method] });
  });
  return routes;
}

/** The metrics label of a route: every parameter is `:id`, whatever the template calls it. */
export function labelOf(path: string): string {
  return path.replace(/\{[^}]+\}/g, ':id');
}

/** One table for the metrics labels and the REST 405/Allow answers. */
export interface RouteTable {
  /** Every route with the methods it answers, procedures and handlers merged. */
  routes: readonly (Route & { subtree?: true })[];
  /** A bounded route label for metrics: unknown paths and procedures never become new series. */
  label(path: string): string;
  /** The `Allow` value of the route `path` belongs to, or undefined when no route has it. */
  allow(path: string): string | undefined;
}

const METHOD_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const UUID_SEGMENT = /\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=\/|$)/gi;

const escapeRegExp = (text: string) => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');

export function createRouteTable(
  router: OpenApiRouter,
  handlerRoutes: readonly HandlerRoute[] = HANDLER_ROUTES,
): RouteTable {
  // Keyed by label, so templates that differ only in parameter names are one route.
  const byLabel = new Map<string, { path: string; methods: Set<string>; subtree?: true }>();
  for (const route of [...handlerRoutes, ...procedureRoutes(router)]) {
    const label = labelOf(route.path);
    const entry = byLabel.get(label) ?? { path: route.path, methods: new Set<string>() };
    for (const method of route.methods) entry.methods.add(method.toUpperCase());
    if ('subtree' in route && route.subtree) entry.subtree = true;
    byLabel.set(label, entry);
  }
  const routes = [...byLabel.values()].map(({ path, methods, subtree }) => ({
    path,
    methods: METHOD_ORDER.filter((m) => methods.has(m)),
    ...(subtree ? { subtree } : {}),
  }));

  const procedures = new Set(Object.keys(router._def.procedures));
  const subtrees = routes.filter((r) => r.subtree).map((r) => r.path);
  const labels = new Set(routes.filter((r) => !r.subtree).map((r) => labelOf(r.path)));
  const allowTable = routes
    .filter((r) => !r.subtree)
    .map((r) => ({
      pattern: new RegExp(
        `^${r.path
          .split(/\{[^}]+\}/)
          .map(escapeRegExp)
          .join('[^/]+')}/?$`,
      ),
      allow: r.methods.join(', '),
    }));

  return {
    routes,
    label(path) {
      if (path.startsWith('/trpc/')) {
        const name = path.slice('/trpc/'.length);
        if (name.includes(',')) return '/trpc/(batch)';
        return procedures.has(name) ? path : '/trpc/(unknown)';
      }
      for (const base of subtrees) {
        if (path === base || path.startsWith(`${base}/`)) return base;
      }
      const route = path.replace(UUID_SEGMENT, '/:id');
      return labels.has(route) ? route : '(unmatched)';
    },
    allow(path) {
      return allowTable.find((r) => r.pattern.test(path))?.allow;
    },
  };
}
