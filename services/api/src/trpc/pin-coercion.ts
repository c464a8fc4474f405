import type { z } from 'zod';

interface Def {
  type?: string;
  shape?: Record<string, { _zod?: { def?: Def } }>;
  element?: { _zod?: { def?: Def } };
  innerType?: { _zod?: { def?: Def } };
  coerce?: boolean;
}

const COERCIBLE = new Set(['number', 'boolean', 'bigint', 'date']);

/**
 * trpc-to-openapi switches on `coerce` for every number/boolean/bigint/date field of a REST input
 * by mutating the shared zod schema, so `"amountMinor": ""` or `null` would parse as 0, and tRPC
 * would start coercing too once a REST request had run. Pins each such field to the coercion
 * its schema declares (z.coerce stays on; z.number stays strict), ignoring later writes.
 */
export function pinCoercion<T extends z.ZodType>(schema: T): T {
  const visit = (def: Def | undefined) => {
    if (def === undefined) return;
    if (def.type !== undefined && COERCIBLE.has(def.type)) {
      const declared = def.coerce === true;
      Object.defineProperty(def, 'coerce', {
        get: () => declared,
        set: () => {},
        enumerable: true,
        configurable: true,
      });
      return;
    }
    for (const child of Object.values(def.shape ?? {})) visit(child._zod?.def);
    visit(def.element?._zod?.def);
    visit(def.innerType?._zod?.def);
  };
  visit((schema as unknown as { _zod?: { def?: Def } })._zod?.def);
  return schema;
}
