import { ApiProperty } from '@nestjs/swagger';
import { REQUEST_STATUSES, RequestStatus } from '../inference-request';
import { CompletionView } from './completion.view';

export class QueuedView {
  @ApiProperty({ example: 'a3c1e2f0-5b7d-4c1e-9f0a-2b3c4d5e6f70' })
  completion_id: string;

  @ApiProperty({ enum: ['queued'] })
  status: 'queued';

  @ApiProperty({ example: '2026-11-28T10:00:00.000Z' })
  created_at: string;
}

/** `GET /api/models/requests/{id}`: where a request stands, and its SPEC body once it has one. */
export class RequestStatusView {
  @ApiProperty({ example: 'a3c1e2f0-5b7d-4c1e-9f0a-2b3c4d5e6f70' })
  completion_id: string;

  @ApiProperty({ enum: REQUEST_STATUSES })
  status: RequestStatus;

  @ApiProperty({ example: '2026-11-28T10:00:00.000Z' })
  created_at: string;

  @ApiProperty({ example: '2026-11-28T10:00:02.000Z', nullable: true, type: String })
  completed_at: string | null;

  @ApiProperty({ type: CompletionView, nullable: true, description: 'The completion response, once completed or cancelled' })
  result: CompletionView | null;

  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, description: 'The error body of a failed request' })
  error: { code: string; message: string; details: Record<string, unknown> } | null;
}
