import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { Caller } from '../access/client-key';
import { CallerOf, ClientAuthGuard } from '../access/client-auth.guard';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { FeedbackRequestDto, FeedbackView } from './dto/feedback.dto';
import { FeedbackService } from './feedback.service';

@ApiTags('feedback')
@UseGuards(ClientAuthGuard)
@Controller('api/models/feedback')
export class FeedbackController {
  constructor(private readonly feedback: FeedbackService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Submit feedback on a model response',
    description:
      'Feedback from the same user on the same request replaces the earlier one. The user is metadata.user_id, or, with client keys on, the ' +
      "key's owner (the body's user_id is then only a label); a key may rate only its own requests (404 otherwise). " +
      '409 while the request is still queued or running, or when it ended before any model answered.',
  })
  @ApiOkResponse({ type: FeedbackView })
  @ApiErrorResponses(400, 401, 404, 409, 415)
  submit(@Body() dto: FeedbackRequestDto, @CallerOf() caller: Caller): Promise<FeedbackView> {
    return this.feedback.submit(dto, caller);
  }
}
