import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Command } from '../events/patterns';
import { CancellationService, CancelResult } from './cancellation.service';
import { CancelRequestDto } from './dto/cancel-request.dto';

@Controller()
export class InferenceHandler {
  constructor(private readonly cancellation: CancellationService) {}

  @MessagePattern(Command.CancelRequest)
  cancel(@Payload() dto: CancelRequestDto): Promise<CancelResult> {
    return this.cancellation.cancel(dto.request_id);
  }
}
