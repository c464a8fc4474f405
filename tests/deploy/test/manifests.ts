import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

/* Loading deploy/k8s and the repository facts the manifests must agree with. */

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const baseDir = join(repoRoot, 'deploy', 'k8s', 'base');
export const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

/** Every kind the base may contain, with the model that validates it. */
export const MODELS = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
} as const;

export type Doc = {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  // biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked by the models and the tests.
  [k: string]: any;
};

export function manifestFiles(dir = baseDir): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort();
}

export function loadDocs(dir = baseDir): Doc[] {
  return manifestFiles(dir).flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.join('; ')}`);
      return { ...(d.toJS() as Doc), file };
    }),
  );
}

export const ofKind = (docs: Doc[], kind: string) => docs.filter((d) => d.kind === kind);

export function byName(docs: Doc[], kind: string, name: string): Doc {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (doc === undefined) throw new Error(`no ${kind} ${name}`);
  return doc;
}

// biome-ignore lint/suspicious/noExplicitAny: a container of a parsed Deployment or Job.
export type Container = any;

/** Every container of the workloads, with the workload it belongs to. */
export function containers(docs: Doc[]): { workload: Doc; container: Container }[] {
  return docs
    .filter((d) => d.kind === 'Deployment' || d.kind === 'Job')
    .flatMap((workload) =>
      (workload.spec.template.spec.containers as Container[]).map((container) => ({
        workload,
        container,
      })),
    );
}

/** The environment a container gets: envFrom ConfigMaps and Secrets, then env (which wins). */
export function containerEnv(docs: Doc[], container: Container): Map<string, string> {
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const source = from.configMapRef
      ? byName(docs, 'ConfigMap', from.configMapRef.name).data
      : byName(docs, 'Secret', from.secretRef.name).stringData;
    for (const [k, v] of Object.entries(source ?? {})) env.set(k, String(v));
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env.set(e.name, String(e.value));
    else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      env.set(e.name, String(byName(docs, 'Secret', name).stringData[key]));
    } else if (e.valueFrom?.configMapKeyRef) {
      const { name, key } = e.valueFrom.configMapKeyRef;
      env.set(e.name, String(byName(docs, 'ConfigMap', name).data[key]));
    }
  }
  return env;
}

/** `image:tag` -> image. */
export const imageName = (image: string) => image.replace(/:[^/:]+$/, '');

/** The image a Dockerfile builds, from its `docker build ... -t <name> .` header line. */
export function dockerfileImage(path: string): string {
  const match = /docker build -f \S+ -t (\S+) \./.exec(read(path));
  if (match?.[1] === undefined) throw new Error(`${path}: no "docker build ... -t <name>" line`);
  return match[1];
}

/** `<name> <partitions>` lines of infra/kafka/topics.txt. */
export function topicPartitions(): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of read('infra/kafka/topics.txt').split('\n')) {
    const match = /^([\w.-]+)\s+(\d+)\s*$/.exec(line.trim());
    if (match?.[1] !== undefined) map.set(match[1], Number(match[2]));
  }
  return map;
}

/** Variable names of one configuration table of docs/configuration.md (under `### <heading>`). */
export function readmeVariables(heading: string): string[] {
  const readme = read('docs/configuration.md');
  const start = readme.indexOf(`\n### ${heading}`);
  if (start < 0) throw new Error(`docs/configuration.md has no "### ${heading}" section`);
  const end = readme.indexOf('\n#', start + 1);
  const rows = readme
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('| `'));
  return rows.flatMap((row) =>
    [...(row.split('|')[1] ?? '').matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1] as string),
  );
}
