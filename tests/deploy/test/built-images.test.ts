import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  containerEnv,
  containers,
  dockerfileImage,
  imageName,
  loadDocs,
  read,
} from './manifests.js';

/*
 * What was actually built, against what the manifests and compose expect of it. The image check
 * (npm run test:images, infra/containers/check-images) builds and runs both images, writes what
 * `podman image inspect` and the run saw, and runs this file with ZOCKET_IMAGES_SUMMARY set;
 * without a built image (plain `npm test`) there is nothing to compare and the file skips.
 */

interface BuiltImage {
  image: string;
  sizeBytes: number;
  user: string;
  uid?: number;
  exposedPorts: number[];
  healthcheck: string[] | null;
  cmd: string[];
  env: Record<string, string>;
  stopSeconds?: number;
}
interface Summary {
  images: { api?: BuiltImage; processor?: BuiltImage };
}

const summaryPath = process.env.ZOCKET_IMAGES_SUMMARY;
const summary: Summary | undefined =
  summaryPath !== undefined && existsSync(summaryPath)
    ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary)
    : undefined;

const docs = loadDocs();
const workloads = containers(docs);
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { ports?: string[]; expose?: string[]; stop_grace_period?: string }>;
};

const ROLES = [
  {
    role: 'api' as const,
    image: dockerfileImage('services/api/Dockerfile'),
    compose: 'api',
    portVariable: 'PORT',
  },
  {
    role: 'processor' as const,
    image: dockerfileImage('services/image-processor/Dockerfile'),
    compose: 'image-processor',
    portVariable: 'METRICS_PORT',
  },
];

describe.skipIf(summary === undefined)('the images as built (image check summary)', () => {
  for (const { role, image, compose: service, portVariable } of ROLES) {
    const built = () => {
      const b = summary?.images[role];
      if (b === undefined) throw new Error(`the summary has no ${role} image`);
      return b;
    };
    const pods = workloads.filter(({ container }) => imageName(container.image) === image);

    it(`${role}: runs as the user the pods' securityContext names`, () => {
      expect(built().user).toBe('node');
      expect(pods.length).toBeGreaterThan(0);
      for (const { workload } of pods) {
        const context = workload.spec.template.spec.securityContext;
        expect(context.runAsNonRoot, workload.metadata.name).toBe(true);
        expect(built().uid, workload.metadata.name).toBe(context.runAsUser);
      }
    });

    it(`${role}: exposes the one port the pods, compose and its own PORT default use`, () => {
      const [port] = built().exposedPorts;
      expect(built().exposedPorts).toHaveLength(1);
      expect(Number(built().env[portVariable])).toBe(port);
      for (const { workload, container } of pods) {
        if (container.ports === undefined) continue; // the migrate Job serves nothing
        expect(container.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([
          port,
        ]);
        expect(
          Number(containerEnv(docs, container).get(portVariable)),
          workload.metadata.name,
        ).toBe(port);
      }
      const published = compose.services[service]?.ports ?? [];
      const exposed = compose.services[service]?.expose ?? [];
      const targets = [
        ...published.map((p) => Number(String(p).split(':').at(-1))),
        ...exposed.map(Number),
      ];
      expect(targets).toContain(port);
    });

    it(`${role}: health-checks its own port, and stopped on SIGTERM within every grace period`, () => {
      const test = built().healthcheck ?? [];
      expect(test[0]).toBe('CMD');
      expect(test.join(' ')).toContain(`process.env.${portVariable}||${built().exposedPorts[0]}`);
      const stop = built().stopSeconds;
      expect(stop).toBeDefined();
      const composeGrace = Number(
        /^(\d+)s$/.exec(compose.services[service]?.stop_grace_period ?? '')?.[1],
      );
      expect(stop).toBeLessThan(composeGrace);
      for (const { workload } of pods) {
        const grace = workload.spec.template.spec.terminationGracePeriodSeconds;
        if (grace !== undefined) expect(stop, workload.metadata.name).toBeLessThan(grace);
      }
    });
  }
});
