import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { type Json, type KubeObject, kubeTime, type ObjectStore, type StoreEvent } from './object-store';

/** What the fake knows about an image: its ENTRYPOINT and CMD, and whether it can be pulled. */
export interface FakeImage {
  entrypoint?: string[];
  cmd?: string[];
  /** `fail`: the pull fails (ErrImagePull), the pod stays Pending. */
  pull?: 'ok' | 'fail';
}

export interface FakeKubeletOptions {
  store: ObjectStore;
  /** Working directory of container processes (relative commands resolve from here). */
  workDir: string;
  /** Where Secret volumes are written, one directory per pod. */
  volumeRoot: string;
  /** Images by reference; an image not listed pulls fine and has no ENTRYPOINT or CMD. */
  images: Record<string, FakeImage>;
  /** Between SIGTERM and SIGKILL when a pod is deleted or its Job's deadline passes. */
  terminationGraceMs: number;
  /** False leaves a pod Pending and Unschedulable (no node fits). */
  canSchedule: (pod: KubeObject) => boolean;
}

interface RunningContainer {
  child: ChildProcess;
  startedAt: string;
  containerID: string;
  volumeDir: string;
  oomKilled: boolean;
  deleting: boolean;
  exited: Promise<void>;
}

/** A container's log, kept on disk as the kubelet keeps it (/var/log/pods), until its pod is deleted. */
export interface ContainerLog {
  /** stdout and stderr in the order they came, as the container runtime writes them. */
  path: string;
  /** The container's name, which a log request may give. */
  container: string;
  /** Resolves once the container has ended and all it wrote is in the file. */
  complete: Promise<void>;
  isComplete(): boolean;
}

/**
 * The node agent: runs each pod's single container as a real local child process (command and
 * args from the pod spec or the image, env from the pod spec, Secret volumes written to a temp dir
 * with env values under a mount path pointed there) and keeps the pod's phase and container state
 * up to date as the process starts and exits. Deleting a pod sends SIGTERM, then SIGKILL after the
 * grace period, and removes the object once the process is gone.
 */
export class FakeKubelet {
  private readonly running = new Map<string, RunningContainer>();
  private readonly claimed = new Set<string>();
  private readonly logs = new Map<string, ContainerLog>();
  private readonly logRoot: string;
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(private readonly options: FakeKubeletOptions) {
    this.logRoot = join(options.volumeRoot, 'pod-logs');
    mkdirSync(this.logRoot, { recursive: true });
    this.unsubscribe = options.store.subscribe((event) => this.onEvent(event));
  }

  private onEvent(event: StoreEvent): void {
    // A pod's logs go with it.
    if (event.kind === 'Pod' && event.type === 'DELETED') this.dropLog(event.namespace, event.object.metadata.name);
    if (event.kind === 'Pod' && event.type === 'ADDED') setImmediate(() => this.startPod(event.namespace, event.object.metadata.name));
    // A pod waiting for its Secret volume starts once the Secret exists.
    if (event.kind === 'Secret' && event.type === 'ADDED') {
      for (const pod of this.options.store.find('Pod', event.namespace, (p) => this.waitsForSecret(p, event.object.metadata.name))) {
        setImmediate(() => this.startPod(event.namespace, pod.metadata.name));
      }
    }
  }

  private waitsForSecret(pod: KubeObject, secret: string): boolean {
    return !this.claimed.has(key(pod.metadata.namespace!, pod.metadata.name)) &&
      (pod.spec?.volumes ?? []).some((v: Json) => v.secret?.secretName === secret);
  }

  /** The log of the pod's container since it started; undefined before it started, and once the pod is deleted. */
  logOf(namespace: string, name: string): ContainerLog | undefined {
    return this.logs.get(key(namespace, name));
  }

  private dropLog(namespace: string, name: string): void {
    const log = this.logs.get(key(namespace, name));
    if (!log) return;
    this.logs.delete(key(namespace, name));
    void log.complete.then(() => rmSync(log.path, { force: true }));
  }

  isRunning(namespace: string, name: string): boolean {
    return this.running.has(key(namespace, name));
  }

  runningCount(): number {
    return this.running.size;
  }

  private update(namespace: string, name: string, change: (pod: KubeObject) => void): void {
    this.options.store.update('Pod', namespace, name, change);
  }

  private startPod(namespace: string, name: string): void {
    if (this.stopped) return;
    const podKey = key(namespace, name);
    const pod = this.options.store.get('Pod', namespace, name);
    if (!pod || pod.metadata.deletionTimestamp || this.claimed.has(podKey)) return;
    const container = pod.spec.containers[0];
    if (!pod.status?.startTime) {
      if (!this.options.canSchedule(pod)) {
        this.update(namespace, name, (p) => {
          const unschedulable = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available', lastTransitionTime: kubeTime() };
          p.status = { phase: 'Pending', conditions: [unschedulable] };
        });
        return;
      }
      this.update(namespace, name, (p) => {
        p.spec.nodeName = 'fake-node';
        p.status = {
          phase: 'Pending',
          startTime: kubeTime(),
          conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: kubeTime() }],
          containerStatuses: [waitingStatus(container, 'ContainerCreating')],
        };
      });
    }
    const image = this.options.images[container.image] ?? {};
    if (image.pull === 'fail') {
      this.setWaiting(namespace, name, container, 'ErrImagePull', `failed to pull image "${container.image}": not found`);
      return;
    }
    const missing = (pod.spec.volumes ?? []).find((v: Json) => v.secret && !this.options.store.get('Secret', namespace, v.secret.secretName));
    if (missing) {
      const message = `MountVolume.SetUp failed for volume "${missing.name}" : secret "${missing.secret.secretName}" not found`;
      this.setWaiting(namespace, name, container, 'ContainerCreating', message);
      return;
    }
    this.claimed.add(podKey);
    this.run(namespace, pod, container, image);
  }

  private setWaiting(namespace: string, name: string, container: Json, reason: string, message: string): void {
    this.update(namespace, name, (p) => {
      p.status.containerStatuses = [{ ...waitingStatus(container, reason), state: { waiting: { reason, message } } }];
    });
  }

  /** Kubernetes: `command` replaces ENTRYPOINT; `args` replace CMD; a command alone drops CMD. */
  private commandLine(container: Json, image: FakeImage): string[] {
    if (container.command?.length) return [...container.command, ...(container.args ?? [])];
    return [...(image.entrypoint ?? []), ...(container.args ?? image.cmd ?? [])];
  }

  private writeVolumes(namespace: string, pod: KubeObject): { dir: string; mounts: Map<string, string> } {
    const dir = join(this.options.volumeRoot, pod.metadata.uid!);
    const mounts = new Map<string, string>();
    for (const volume of pod.spec.volumes ?? []) {
      if (!volume.secret) continue;
      const secret = this.options.store.get('Secret', namespace, volume.secret.secretName)!;
      const volumeDir = join(dir, volume.name);
      mkdirSync(volumeDir, { recursive: true });
      for (const [file, base64] of Object.entries<string>(secret.data ?? {})) writeFileSync(join(volumeDir, file), Buffer.from(base64, 'base64'));
      const mount = (pod.spec.containers[0].volumeMounts ?? []).find((m: Json) => m.name === volume.name);
      if (mount) mounts.set(mount.mountPath.replace(/\/+$/, ''), volumeDir);
    }
    return { dir, mounts };
  }

  /** The container sees its mounts at their paths; here they live in a temp dir, so paths in env are rewritten. */
  private envOf(pod: KubeObject, container: Json, mounts: Map<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, HOSTNAME: pod.metadata.name };
    for (const variable of container.env ?? []) {
      let value: string = variable.value ?? '';
      for (const [mountPath, hostDir] of mounts) {
        if (value === mountPath || value.startsWith(`${mountPath}/`)) value = hostDir + value.slice(mountPath.length);
      }
      env[variable.name] = value;
    }
    return env;
  }

  private run(namespace: string, pod: KubeObject, container: Json, image: FakeImage): void {
    const name = pod.metadata.name;
    const commandLine = this.commandLine(container, image);
    const { dir, mounts } = this.writeVolumes(namespace, pod);
    const startedAt = kubeTime();
    if (commandLine.length === 0) {
      this.terminate(namespace, name, container, { exitCode: 128, reason: 'StartError', message: 'no command specified', startedAt, containerID: '' });
      return;
    }
    const child = spawn(commandLine[0], commandLine.slice(1), {
      cwd: this.options.workDir,
      env: this.envOf(pod, container, mounts),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a shell and its children die together.
      detached: true,
    });
    const containerID = `fake://${randomBytes(8).toString('hex')}`;
    const podKey = key(namespace, name);
    this.logs.set(podKey, this.captureLog(child, `${namespace}_${name}_${pod.metadata.uid}.log`, container.name));
    let spawnError: Error | undefined;
    const exited = new Promise<void>((resolve) => {
      child.on('error', (error) => {
        spawnError = error;
        if (child.pid === undefined) resolve();
      });
      // A container ends when its main process does; the runtime then kills what it left behind.
      child.on('exit', () => {
        killGroup(child.pid, 'SIGKILL');
        resolve();
      });
    });
    const entry: RunningContainer = { child, startedAt, containerID, volumeDir: dir, oomKilled: false, deleting: false, exited };
    this.running.set(podKey, entry);
    child.on('spawn', () => this.markRunning(namespace, name, container, startedAt, containerID));
    void exited.then(() => {
      this.running.delete(podKey);
      rmSync(dir, { recursive: true, force: true });
      const exitCode = spawnError && child.exitCode === null ? 128 : exitCodeOf(child);
      const reason = spawnError && child.pid === undefined ? 'StartError' : entry.oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
      const message = reason === 'StartError' ? `exec: ${spawnError?.message}` : undefined;
      this.terminate(namespace, name, container, { exitCode, reason, message, startedAt, containerID });
      if (entry.deleting) this.options.store.delete('Pod', namespace, name);
    });
  }

  /** Writes what the container prints, both streams in the order they come, to its log file. */
  private captureLog(child: ChildProcess, file: string, container: string): ContainerLog {
    const path = join(this.logRoot, file);
    const out = createWriteStream(path, { flags: 'a' });
    // The server stopped and removed the directory meanwhile: the log is gone anyway.
    out.on('error', () => undefined);
    child.stdout?.on('data', (chunk: Buffer) => out.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => out.write(chunk));
    let complete = false;
    // 'close' comes once the process has exited and both of its pipes are drained; a process that
    // could not be started may only report an error.
    const done = new Promise<void>((resolve) => {
      let ended = false;
      const end = () => {
        if (!ended) out.end(resolve);
        ended = true;
      };
      child.once('close', end);
      child.once('error', () => child.pid === undefined && end());
    });
    return { path, container, complete: done.then(() => void (complete = true)), isComplete: () => complete };
  }

  private markRunning(namespace: string, name: string, container: Json, startedAt: string, containerID: string): void {
    this.update(namespace, name, (p) => {
      p.status.phase = 'Running';
      p.status.conditions = [
        ...(p.status.conditions ?? []).filter((c: Json) => c.type === 'PodScheduled'),
        { type: 'Ready', status: 'True', lastTransitionTime: kubeTime() },
      ];
      p.status.containerStatuses = [{ ...baseStatus(container), containerID, ready: true, started: true, state: { running: { startedAt } } }];
    });
  }

  private terminate(
    namespace: string,
    name: string,
    container: Json,
    t: { exitCode: number; reason: string; message?: string; startedAt: string; containerID: string },
  ): void {
    this.update(namespace, name, (p) => {
      p.status.phase = t.exitCode === 0 ? 'Succeeded' : 'Failed';
      p.status.conditions = [
        ...(p.status.conditions ?? []).filter((c: Json) => c.type === 'PodScheduled'),
        { type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: kubeTime() },
      ];
      const terminated = {
        exitCode: t.exitCode,
        reason: t.reason,
        startedAt: t.startedAt,
        finishedAt: kubeTime(),
        containerID: t.containerID,
        ...(t.message && { message: t.message }),
      };
      p.status.containerStatuses = [{ ...baseStatus(container), containerID: t.containerID, ready: false, started: false, state: { terminated } }];
    });
  }

  /** SIGTERM now, SIGKILL after the grace period (a Job's deadline, or a deletion). */
  kill(namespace: string, name: string): void {
    const entry = this.running.get(key(namespace, name));
    if (!entry) return;
    signalGroup(entry.child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(entry.child, 'SIGKILL'), this.options.terminationGraceMs);
    void entry.exited.then(() => clearTimeout(timer));
  }

  /** Kills the container as the kernel's OOM killer would: SIGKILL, reason OOMKilled, exit code 137. */
  oomKill(namespace: string, name: string): boolean {
    const entry = this.running.get(key(namespace, name));
    if (!entry) return false;
    entry.oomKilled = true;
    signalGroup(entry.child, 'SIGKILL');
    return true;
  }

  /** Graceful deletion: a running pod gets a deletionTimestamp, is killed, then removed. */
  deletePod(namespace: string, name: string): KubeObject | undefined {
    const pod = this.options.store.get('Pod', namespace, name);
    if (!pod) return undefined;
    const entry = this.running.get(key(namespace, name));
    if (!entry) return this.options.store.delete('Pod', namespace, name);
    if (entry.deleting) return pod;
    entry.deleting = true;
    const graceSeconds = Math.ceil(this.options.terminationGraceMs / 1000);
    const marked = this.options.store.update('Pod', namespace, name, (p) => {
      p.metadata.deletionTimestamp = kubeTime(new Date(Date.now() + this.options.terminationGraceMs));
      p.metadata.deletionGracePeriodSeconds = graceSeconds;
    });
    this.kill(namespace, name);
    return marked;
  }

  /** Kills every process at once and waits for them (server shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    const entries = [...this.running.values()];
    for (const entry of entries) signalGroup(entry.child, 'SIGKILL');
    await Promise.all(entries.map((e) => e.exited));
    rmSync(this.options.volumeRoot, { recursive: true, force: true });
  }
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  killGroup(child.pid, signal);
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** As a container runtime reports it: the exit code, or 128 + the signal number. */
function exitCodeOf(child: ChildProcess): number {
  if (child.exitCode !== null) return child.exitCode;
  const signal = child.signalCode as NodeJS.Signals | null;
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

function baseStatus(container: Json): Json {
  const digest = createHash('sha256').update(container.image).digest('hex');
  return { name: container.name, image: container.image, imageID: `fake-registry/${container.image.split(/[:@]/)[0]}@sha256:${digest}`, restartCount: 0 };
}

function waitingStatus(container: Json, reason: string): Json {
  return { ...baseStatus(container), imageID: '', ready: false, started: false, state: { waiting: { reason } } };
}
