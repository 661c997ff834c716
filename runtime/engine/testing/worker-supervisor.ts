import { type RestartWorkerChild, spawnRestartWorker } from './spawn-restart-worker.ts';

export type WorkerCrash = {
  slot: number;
  workerId: string | undefined;
  exit: string;
  /** The last lines the process wrote (errors and warnings). */
  output: string[];
};

export type WorkerSupervisor = {
  /** Every worker process ever started, in order (the live ones are the last of each slot). */
  all(): RestartWorkerChild[];
  /** Processes that died while supervised (or that died before they were ready). */
  crashes(): WorkerCrash[];
  /** Stops supervising and stops every live worker (SIGTERM, then SIGKILL after 15 s). */
  stop(): Promise<void>;
};

/**
 * Keeps `count` restart-worker processes running, as a process manager (systemd, Docker restart policy) would:
 * a worker that dies is recorded and replaced, after a short back-off while it cannot even start.
 */
export async function superviseWorkers(
  count: number,
  env: Record<string, string>,
  entry?: string,
): Promise<WorkerSupervisor> {
  const all: RestartWorkerChild[] = [];
  const crashes: WorkerCrash[] = [];
  let supervising = true;
  const keep = async (slot: number): Promise<void> => {
    for (let delay = 250; supervising; delay = Math.min(delay * 2, 4_000)) {
      try {
        const worker = await spawnRestartWorker(env, entry);
        all.push(worker);
        void worker.exited.then(({ code, signal }) => {
          if (!supervising) return;
          crashes.push({
            slot,
            workerId: worker.workerId,
            exit: String(code ?? signal),
            output: worker.output(),
          });
          void keep(slot);
        });
        return;
      } catch (error) {
        crashes.push({ slot, workerId: undefined, exit: 'before ready', output: [String(error)] });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
  await Promise.all(Array.from({ length: count }, (_, slot) => keep(slot)));
  return {
    all: () => [...all],
    crashes: () => [...crashes],
    async stop() {
      supervising = false;
      await Promise.all(
        all.map(async ({ child, exited }) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
