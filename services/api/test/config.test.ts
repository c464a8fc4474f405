import { describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('works with an empty environment, with the infra/local defaults', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(8080);
    expect(config.db.url).toBe('postgres://zocket:zocket@127.0.0.1:5432/zocket');
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.auth.jwtSecret).toBe(DEV_JWT_SECRET);
    expect(config.redis.cacheEnabled).toBe(true);
  });

  it('parses lists, numbers and booleans', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'a:9092, b:9092,',
      PORT: '9000',
      CACHE_ENABLED: '0',
      S3_FORCE_PATH_STYLE: 'false',
    });
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9092']);
    expect(config.http.port).toBe(9000);
    expect(config.redis.cacheEnabled).toBe(false);
    expect(config.s3.forcePathStyle).toBe(false);
  });

  it('names every invalid variable', () => {
    expect(() => loadConfig({ CACHE_ENABLED: 'yes', PORT: 'eighty' })).toThrow(
      /CACHE_ENABLED[\s\S]*PORT|PORT[\s\S]*CACHE_ENABLED/,
    );
  });

  it('refuses to start in production with no secret of its own', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AUTH_JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: DEV_JWT_SECRET })).toThrow(
      /not the development default/,
    );
    expect(
      loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'a-secret-of-this-deployment' }).auth
        .jwtSecret,
    ).toBe('a-secret-of-this-deployment');
    expect(
      loadConfig({ NODE_ENV: 'production', AUTH_JWKS_URL: 'https://id.example.com/jwks.json' }).auth
        .jwksUrl,
    ).toBe('https://id.example.com/jwks.json');
  });

  it('uses no default secret once a JWKS URL is configured', () => {
    expect(
      loadConfig({ AUTH_JWKS_URL: 'https://id.example.com/jwks.json' }).auth.jwtSecret,
    ).toBeUndefined();
  });
});
