import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { Caller } from '../access/client-key';
import { CallerOf, ClientAuthGuard } from '../access/client-auth.guard';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { RoutingPreviewQueryDto, RoutingPreviewView, toRoutingPreviewView } from './dto/routing-preview.dto';
import { PromptKindListView, toPromptKindListView } from './dto/prompt-kinds.dto';
import { RoutingService } from './routing.service';

@ApiTags('routing')
@UseGuards(ClientAuthGuard)
@Controller('api/models/routing')
export class RoutingController {
  constructor(private readonly routing: RoutingService) {}

  @Get()
  @ApiOperation({
    summary: 'Which model routing selects for a task type, and why',
    description:
      'The candidates a chat request of `task_type` with no requirements would get, in the order routing tries them ' +
      '(expected utility; exploration off, so this is also the fallback order), with the inputs of the decision, ' +
      'and every model left out with its reason. Read-only: asking does not use up a half-open circuit\'s trial call.',
  })
  @ApiOkResponse({ type: RoutingPreviewView })
  @ApiErrorResponses(400)
  async preview(@Query() query: RoutingPreviewQueryDto): Promise<RoutingPreviewView> {
    return toRoutingPreviewView(await this.routing.preview(query.task_type));
  }

  @Get('kinds')
  @ApiOperation({
    summary: 'The kinds of requests learned from prompts without a task type, with their current winners',
    description:
      'A request without task_type is routed as the kind its prompt is nearest to (docs/routing.md). Each kind is listed with a hint ' +
      '(words that set it apart), how many requests it took, and the model routing selects for it now; `GET /api/models/routing?task_type=<kind>` ranks its candidates.',
  })
  @ApiOkResponse({ type: PromptKindListView })
  async kinds(@CallerOf() caller: Caller): Promise<PromptKindListView> {
    return toPromptKindListView(await this.routing.learnedKinds(), caller.kind !== 'key');
  }
}
