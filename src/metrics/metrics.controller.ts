import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ExpositionService } from './exposition.service';

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly exposition: ExpositionService) {}

  @Get()
  @ApiOperation({ summary: "Prometheus metrics of this instance (text exposition format); docs/operations.md lists them" })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text format 0.0.4', schema: { type: 'string' } })
  async scrape(@Res({ passthrough: true }) response: Response): Promise<string> {
    const { contentType, body } = await this.exposition.render();
    response.setHeader('content-type', contentType);
    return body;
  }
}
