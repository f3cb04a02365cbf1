import { Injectable } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';

/** The page's own files: beside this file under ts-node and jest, copied into `dist/src/dashboard/public` by `nest build` (nest-cli.json assets). */
const PUBLIC_DIR = join(__dirname, 'public');

/** Page files by the name they are served under; nothing else is served, so no request path ever reaches the file system. */
const PAGE_FILES = ['index.html', 'styles.css', 'view-model.js', 'app.js'] as const;

/** Chart.js's browser build, served from node_modules so the page loads nothing from the internet. */
export const CHART_JS_ASSET = 'chart.umd.js';

/**
 * Where each asset of the performance page (`/dashboard`) lives on disk, resolved once at boot:
 * a missing file stops the boot instead of answering 404s later.
 */
@Injectable()
export class DashboardAssets {
  private readonly files: ReadonlyMap<string, string>;

  constructor() {
    const files = new Map<string, string>(PAGE_FILES.map((name) => [name, join(PUBLIC_DIR, name)]));
    // chart.js exports only its entry points; its UMD build sits beside the CommonJS entry.
    files.set(CHART_JS_ASSET, join(dirname(require.resolve('chart.js')), CHART_JS_ASSET));
    const missing = [...files.values()].filter((path) => !existsSync(path));
    if (missing.length > 0) throw new Error(`Performance page assets are missing (run \`nest build\`, which copies them): ${missing.join(', ')}`);
    this.files = files;
  }

  /** The file behind an asset name; any other name is a 404. */
  pathOf(name: string): string {
    const path = this.files.get(name);
    if (path === undefined) throw new DomainError(ErrorCode.NotFound, `No dashboard asset "${name}"`, { asset: name });
    return path;
  }
}
