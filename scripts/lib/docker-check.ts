import { DockerfileParser, Instruction, Keyword, ModifiableInstruction } from 'dockerfile-ast';
import { parseDocument } from 'yaml';

/**
 * What CI asserts about the Dockerfile and docker-compose.yml, where no container engine runs:
 * both parse, and the structure the image and the compose stack depend on is there. Pure: the
 * caller reads the files (scripts/check-docker.ts). Each function returns its problems, none when
 * all is well.
 */
export interface DockerFiles {
  dockerfile: string;
  compose: string;
  /** Source of src/config/app-config.ts: the variables it reads are the only ones compose may set. */
  configSource: string;
  /** Whether a path of the build context (the repository) exists, for COPY sources. */
  exists: (path: string) => boolean;
}

export function checkDockerFiles(files: DockerFiles): string[] {
  return [
    ...checkDockerfile(files.dockerfile, files.exists).map((problem) => `Dockerfile: ${problem}`),
    ...checkCompose(files.compose, envVarsReadBy(files.configSource)).map((problem) => `docker-compose.yml: ${problem}`),
  ];
}

/** Names passed to the config's EnvReader (`read.integer('PORT', ...)`), so a renamed variable shows here. */
export function envVarsReadBy(configSource: string): Set<string> {
  return new Set([...configSource.matchAll(/\bread\.\w+\(\s*'([A-Z][A-Z0-9_]*)'/g)].map((match) => match[1]));
}

const KEYWORDS = new Set<string>(Object.values(Keyword));
const ROOT_USERS = new Set(['root', '0']);

export function checkDockerfile(text: string, exists: (path: string) => boolean): string[] {
  const problems: string[] = [];
  const stages = splitStages(DockerfileParser.parse(text).getInstructions());
  for (const instruction of stages.flat()) {
    const keyword = instruction.getKeyword();
    if (!KEYWORDS.has(keyword)) problems.push(`line ${line(instruction)}: unknown instruction ${keyword}`);
    const content = instruction.getArgumentsContent() ?? '';
    // `npm install` may rewrite the lock file and resolve other versions than the ones tested.
    if (keyword === 'RUN' && /\bnpm\s+(install|i|add)\b/.test(content)) {
      problems.push(`line ${line(instruction)}: npm install; only npm ci installs exactly the lock file`);
    }
    if (keyword === 'COPY' || keyword === 'ADD') problems.push(...missingCopySources(instruction, exists));
  }
  if (stages.length < 2) return [...problems, `${stages.length} stage(s); a build stage and a runtime stage are expected`];

  for (const stage of stages) {
    const image = stage[0].getArguments()[0]?.getValue() ?? '';
    if (!/^node:20([.-]|$)/.test(image)) problems.push(`line ${line(stage[0])}: stage from ${image}, expected node:20`);
  }
  const runtime = stages[stages.length - 1];
  const of = (keyword: string) => runtime.filter((instruction) => instruction.getKeyword() === keyword);
  const runtimeImage = runtime[0].getArguments()[0]?.getValue() ?? '';
  if (!runtimeImage.includes('slim')) problems.push(`runtime stage from ${runtimeImage}, expected a slim image`);
  if (!of('COPY').some((copy) => fromStage(copy) !== undefined)) {
    problems.push('the runtime stage copies nothing from an earlier stage');
  }
  if (!of('RUN').some((run) => /\bnpm\s+ci\b.*--omit=dev/.test(run.getArgumentsContent() ?? ''))) {
    problems.push('the runtime stage installs no production-only dependencies (npm ci --omit=dev)');
  }
  const user = of('USER').at(-1)?.getArguments()[0]?.getValue();
  if (user === undefined) problems.push('the runtime stage has no USER, so it runs as root');
  else if (ROOT_USERS.has(user.split(':')[0])) problems.push(`the runtime stage runs as ${user}`);
  if (of('ENTRYPOINT').length + of('CMD').length === 0) problems.push('the runtime stage has neither ENTRYPOINT nor CMD');
  if (of('HEALTHCHECK').length === 0) problems.push('the runtime stage has no HEALTHCHECK');
  return problems;
}

/** Instructions grouped by the FROM that starts each stage (anything before the first FROM is dropped: ARGs). */
function splitStages(instructions: Instruction[]): Instruction[][] {
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.getKeyword() === 'FROM') stages.push([instruction]);
    else stages.at(-1)?.push(instruction);
  }
  return stages;
}

/** Sources of a COPY from the build context that are not in it (a renamed file would fail only at `docker build`). */
function missingCopySources(instruction: Instruction, exists: (path: string) => boolean): string[] {
  if (fromStage(instruction) !== undefined) return [];
  const sources = instruction.getArguments().map((argument) => argument.getValue()).slice(0, -1);
  return sources.filter((source) => !exists(source)).map((source) => `line ${line(instruction)}: COPY source ${source} does not exist`);
}

/** The stage (or image) named by COPY --from, if any. */
function fromStage(instruction: Instruction): string | undefined {
  if (!(instruction instanceof ModifiableInstruction)) return undefined;
  return instruction.getFlags().find((flag) => flag.getName() === 'from')?.getValue() ?? undefined;
}

function line(instruction: Instruction): number {
  return instruction.getRange().start.line + 1;
}

/** A value compose takes from the environment, with no default: `${NAME}` or `${NAME:-}`. */
const FROM_ENVIRONMENT = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:?-)?\}$/;
const SECRET_NAME = /(KEY|KEYS|TOKEN|SECRET|PASSWORD)$/;

export function checkCompose(text: string, knownEnv: ReadonlySet<string>): string[] {
  if (knownEnv.size === 0) return ['no variable names found in the app config; has its reader changed?'];
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) return document.errors.map((error) => `does not parse: ${error.message}`);
  const root: unknown = document.toJS();
  const services = record(record(root)?.services);
  if (services === undefined) return ['no services'];

  const problems: string[] = [];
  for (const name of ['app', 'postgres', 'redis']) if (record(services[name]) === undefined) problems.push(`no service ${name}`);
  for (const name of ['postgres', 'redis']) {
    const service = record(services[name]);
    if (service !== undefined && service.healthcheck === undefined) problems.push(`${name} has no healthcheck`);
  }
  const app = record(services.app);
  if (app === undefined) return problems;

  if (typeof app.build !== 'string' && record(app.build)?.context === undefined) problems.push('app is not built from the Dockerfile (no build)');
  const dependsOn = record(app.depends_on);
  for (const name of ['postgres', 'redis']) {
    if (record(dependsOn?.[name])?.condition !== 'service_healthy') {
      problems.push(`app does not depend on ${name} with condition: service_healthy`);
    }
  }

  const environment = environmentOf(app.environment);
  for (const [name, value] of environment) {
    if (!knownEnv.has(name)) problems.push(`app sets ${name}, which the app does not read (src/config/app-config.ts)`);
    if (SECRET_NAME.test(name) && value !== '' && !FROM_ENVIRONMENT.test(value)) {
      problems.push(`app has ${name} written in the file; take it from the environment as \${${name}:-}`);
    }
  }
  for (const [variable, service] of [['DATABASE_URL', 'postgres'], ['REDIS_URL', 'redis']]) {
    const host = hostOf(environment.get(variable));
    if (host !== service) problems.push(`app's ${variable} points at ${host ?? 'nothing'}, not the ${service} service`);
  }
  return problems;
}

/** `environment:` as a map or as a list of NAME=value (a bare NAME passes the caller's value through). */
function environmentOf(value: unknown): Map<string, string> {
  const entries = Array.isArray(value)
    ? value.map((item): [string, string] => {
        const [name, ...rest] = String(item).split('=');
        return [name, rest.length > 0 ? rest.join('=') : `\${${name}}`];
      })
    : Object.entries(record(value) ?? {}).map(([name, item]): [string, string] => [name, scalarText(item)]);
  return new Map(entries);
}

/** A value as compose passes it: a null one is empty; numbers and booleans as written. */
function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
