import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { FeedbackRequestDto, FeedbackView } from './dto/feedback.dto';
import { FeedbackService } from './feedback.service';

@ApiTags('feedback')
@Controller('api/models/feedback')
export class FeedbackController {
  constructor(private readonly feedback: FeedbackService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Submit feedback on a model response',
    description: 'Feedback from the same metadata.user_id on the same request replaces the earlier one. 409 while the request is still queued or running, or when it ended before any model answered.',
  })
  @ApiOkResponse({ type: FeedbackView })
  @ApiErrorResponses(400, 404, 409, 415)
  submit(@Body() dto: FeedbackRequestDto): Promise<FeedbackView> {
    return this.feedback.submit(dto);
  }
}
