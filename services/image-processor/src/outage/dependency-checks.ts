import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { checkDependency } from '@zocket/service-kit';
import { sql } from 'kysely';
import type { ProcessorContext } from '../context.js';
import type { Dependency } from './dependency-outage.js';
import type { Probe } from './outage-gate.js';

/** One bounded check per dependency, shared by /readyz and the outage gate's probes. */
export function dependencyChecks(
  ctx: Pick<ProcessorContext, 'db' | 'redis' | 's3' | 'config'>,
): Record<Dependency, Probe> {
  return {
    postgres: () => checkDependency(() => sql`select 1`.execute(ctx.db)),
    redis: () => checkDependency(() => ctx.redis.ping()),
    s3: () =>
      checkDependency(() => ctx.s3.send(new HeadBucketCommand({ Bucket: ctx.config.s3.bucket }))),
  };
}
