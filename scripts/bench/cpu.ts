import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * CPU accounting from /proc over a measured window: how much CPU each process of the benchmark
 * used per request, and how busy the rest of the machine was meanwhile (other users' work on a
 * shared 2-core machine changes every number, so each run reports it).
 */

const CLOCK_TICKS_PER_SECOND = 100;
const MS_PER_TICK = 1000 / CLOCK_TICKS_PER_SECOND;

export const ROLES = ['gateway', 'upstream', 'postgres', 'redis', 'loadGenerator'] as const;
export type Role = (typeof ROLES)[number];

export interface CpuSample {
  at: number;
  machineBusyMs: number;
  /** Time the hypervisor gave this VM's CPUs to someone else. */
  machineStealMs: number;
  /** CPU ms so far per pid, per role. */
  processes: Record<Role, Map<number, number>>;
}

export interface CpuUsage {
  /** CPU ms per answered request, by role. */
  perRequestMs: Record<Role, number>;
  /** Cores kept busy on average during the window, by role. */
  cores: Record<Role, number>;
  /** Cores busy on the whole machine, and of those not used by the benchmark's processes. */
  machineCores: number;
  otherCores: number;
  /** Cores' worth of time stolen by the hypervisor (other VMs on the host). */
  stealCores: number;
}

/** CPU milliseconds (user + system, all threads) a process has used so far, or null once it is gone. */
export function cpuMsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): utime is field 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return null;
  }
}

/** Pids of every process whose command name starts with `name`. */
export function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith(name)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function machineTimes(): { busyMs: number; stealMs: number } {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const [user, nice, system, , , irq, softirq, steal] = cpu.trim().split(/\s+/).slice(1).map(Number);
  return { busyMs: (user + nice + system + irq + softirq) * MS_PER_TICK, stealMs: (steal || 0) * MS_PER_TICK };
}

/** `pids` per role; the load generator is this process. */
export function sampleCpu(pids: Record<Exclude<Role, 'loadGenerator'>, number[]>): CpuSample {
  const processes = {} as Record<Role, Map<number, number>>;
  for (const role of ROLES) {
    const list = role === 'loadGenerator' ? [process.pid] : pids[role];
    processes[role] = new Map(list.flatMap((pid) => {
      const ms = cpuMsOf(pid);
      return ms === null ? [] : [[pid, ms] as [number, number]];
    }));
  }
  const machine = machineTimes();
  return { at: performance.now(), machineBusyMs: machine.busyMs, machineStealMs: machine.stealMs, processes };
}

export function cpuUsage(before: CpuSample, after: CpuSample, requests: number): CpuUsage {
  const elapsedMs = Math.max(1, after.at - before.at);
  const perRequestMs = {} as Record<Role, number>;
  const cores = {} as Record<Role, number>;
  let ours = 0;
  for (const role of ROLES) {
    let used = 0;
    // A process that started during the window (a new pool connection) counts from zero.
    for (const [pid, ms] of after.processes[role]) used += ms - (before.processes[role].get(pid) ?? 0);
    ours += used;
    perRequestMs[role] = used / Math.max(1, requests);
    cores[role] = used / elapsedMs;
  }
  const machine = after.machineBusyMs - before.machineBusyMs;
  return {
    perRequestMs,
    cores,
    machineCores: machine / elapsedMs,
    otherCores: Math.max(0, machine - ours) / elapsedMs,
    stealCores: (after.machineStealMs - before.machineStealMs) / elapsedMs,
  };
}
