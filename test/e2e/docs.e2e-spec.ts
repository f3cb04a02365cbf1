import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPI } from 'openapi-types';
import { startTestApp, TestApp } from '../support/test-app';

describe('API documentation', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestApp();
  });

  afterAll(async () => {
    await service.close();
  });

  it('serves a valid OpenAPI 3 document at /docs-json listing every endpoint', async () => {
    const response = await fetch(`${service.baseUrl}/docs-json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as OpenAPI.Document & { openapi: string; paths: Record<string, object> };
    expect(document.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeDefined();
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/health', '/api/models', '/api/admin/models', '/api/models/embeddings', '/api/models/completion', '/api/models/chat']),
    );
    expect(Object.keys(document.paths['/api/admin/models'])).toEqual(['post']);
  });

  it('serves the Swagger UI at /docs', async () => {
    const response = await fetch(`${service.baseUrl}/docs`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('swagger-ui');
  });
});
