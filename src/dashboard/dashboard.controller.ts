import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { DashboardAssets } from './dashboard-assets';

/**
 * Only the page's own files and the API on this origin: the page shows what the public JSON
 * endpoints answer and nothing else (Chart.js sets canvas sizes through the CSSOM, which CSP allows).
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  // Small files: revalidated on every load (ETag), so a deploy shows at once.
  'Cache-Control': 'no-cache',
};

/** The performance page: static files, no authentication (it reads only the public API). */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get()
  page(@Res() response: Response): void {
    this.send(response, 'index.html');
  }

  @Get(':asset')
  asset(@Param('asset') asset: string, @Res() response: Response): void {
    this.send(response, asset);
  }

  private send(response: Response, asset: string): void {
    response.sendFile(this.assets.pathOf(asset), { headers: SECURITY_HEADERS }, (error?: Error) => {
      // The files were checked at boot; what is left is a client that went away mid-transfer.
      if (error && !response.headersSent) response.status(404).end();
    });
  }
}
