/**
 * A worker thread of the ScorePool: holds prepared SSIMULACRA2 references by session id and scores
 * distorted images against them, so that the metric's arithmetic never runs on the processor's
 * event loop. Messages are the ScorePool's (score-pool.ts); every task gets exactly one reply.
 */
import { parentPort } from 'node:worker_threads';
import type { WorkerReply, WorkerTask } from './score-pool.js';
import { Ssimulacra2Reference } from './ssimulacra2.js';

const port = parentPort;
if (port === null) throw new Error('score-worker.js runs as a worker thread only');

const references = new Map<number, Ssimulacra2Reference>();

port.on('message', (task: WorkerTask) => {
  if (task.op === 'release') {
    references.delete(task.session);
    return;
  }
  let reply: WorkerReply;
  try {
    if (task.op === 'prepare') {
      references.set(task.session, new Ssimulacra2Reference(task.image));
      reply = { task: task.task, ok: true };
    } else {
      const reference = references.get(task.session);
      if (reference === undefined) throw new Error(`no prepared reference ${task.session}`);
      reply = { task: task.task, ok: true, score: reference.score(task.image) };
    }
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    reply = { task: task.task, ok: false, error: { name, message } };
  }
  port.postMessage(reply);
});
