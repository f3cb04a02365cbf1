import { pathToFileURL } from 'node:url';
import * as vm from 'node:vm';
import type * as NodeLlamaCpp from 'node-llama-cpp';

export type NodeLlamaCppModule = typeof NodeLlamaCpp;

let loading: Promise<NodeLlamaCppModule> | null = null;

/**
 * node-llama-cpp is ESM-only and uses top-level await, so this CommonJS build can neither
 * `require()` it nor write `import()`: TypeScript compiles `import()` to `require()` under
 * `"module": "commonjs"`. The import is therefore built at run time, out of TypeScript's sight.
 * Loaded once; a failed load is retried on the next call.
 */
export function importNodeLlamaCpp(): Promise<NodeLlamaCppModule> {
  loading ??= importModule(pathToFileURL(require.resolve('node-llama-cpp')).href).catch((error: unknown) => {
    loading = null;
    throw error;
  });
  return loading;
}

async function importModule(url: string): Promise<NodeLlamaCppModule> {
  try {
    return await nativeImport(url);
  } catch (error) {
    if (!isMissingVmImportSupport(error)) throw error;
    return await mainContextImport(url);
  }
}

// The ordinary way, in a plain Node process (the built app).
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the one place an import must escape TypeScript's CommonJS output
const nativeImport = new Function('url', 'return import(url)') as (url: string) => Promise<NodeLlamaCppModule>;

/**
 * Jest runs test files inside a `vm` context whose dynamic imports fail unless Node runs with
 * `--experimental-vm-modules`; Node's own loader for the main context still works. This path
 * is experimental in Node (one warning per process), which is why the built app never takes it.
 */
function mainContextImport(url: string): Promise<NodeLlamaCppModule> {
  const load = vm.runInThisContext('(url) => import(url)', {
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  }) as (url: string) => Promise<NodeLlamaCppModule>;
  return load(url);
}

function isMissingVmImportSupport(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG';
}

/**
 * The message of anything node-llama-cpp threw. Under jest its errors come from the main context,
 * another realm, where `instanceof Error` is false.
 */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') return error.message;
  return String(error);
}
