import { ApiProperty } from '@nestjs/swagger';
import type { LearnedKind } from '../routing.service';

export class PromptKindView {
  @ApiProperty({ example: 'kind-03', description: 'Its name: a task type for the routing preview and GET /api/models/performance' })
  task_type: string;

  @ApiProperty({ example: 412, description: 'Requests it has taken' })
  requests: number;

  @ApiProperty({ example: ['query', 'table', 'index'], description: "Words frequent in its prompts and rare in the other kinds; empty for a client key's caller, since they come from every tenant's prompts", type: [String] })
  hint: string[];

  @ApiProperty({ example: 'gpt-4o-mini', nullable: true, type: String, description: 'The model routing selects for it now (exploration off); null when none is eligible' })
  selected_model_id: string | null;
}

/** `GET /api/models/routing/kinds`: the kinds learned from requests without a task type. */
export class PromptKindListView {
  @ApiProperty({ type: [PromptKindView] })
  kinds: PromptKindView[];
}

/** `withHints`: false for a client key, whose caller must not read words of other tenants' prompts. */
export function toPromptKindListView(kinds: LearnedKind[], withHints: boolean): PromptKindListView {
  return {
    kinds: kinds.map((kind) => ({ task_type: kind.name, requests: kind.requests, hint: withHints ? kind.hint : [], selected_model_id: kind.selectedModelId })),
  };
}
