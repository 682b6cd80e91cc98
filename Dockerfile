# espo-sso container image.
#   docker build -t espo-sso .
#   docker run --env-file .env -v "$PWD/espo-sso.yml:/etc/espo-sso/espo-sso.yml:ro" -p 3000:3000 espo-sso [serve|web|worker]
# docker-compose.yml runs it next to Redis. test/runtime/container.test.ts builds the
# TypeScript as the build stage does and runs the result as the runtime stage would.

ARG NODE_IMAGE=node:20-bookworm-slim

# Build stage: compile src/ (and sandbox/, which tsconfig.build.json includes) to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY sandbox ./sandbox
RUN npm run build

# Runtime stage: production dependencies and the compiled output only. Without src/ and tsx,
# bin/espo-sso.js runs dist/src/cli/main.js.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    ESPO_SSO_CONFIG=/etc/espo-sso/espo-sso.yml
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist ./dist
# The official Node.js images include the unprivileged user "node" (uid 1000). The application
# files stay owned by root, so the process cannot change them.
USER node
EXPOSE 3000
# GET /healthz on the loopback address, with node itself (the image has no curl). This needs
# HOST unset, 0.0.0.0 or 127.0.0.1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('node:http').get({ host: '127.0.0.1', port: process.env.PORT || 3000, path: '/healthz', timeout: 4000 }, (res) => process.exit(res.statusCode === 200 ? 0 : 1)).on('timeout', () => process.exit(1)).on('error', () => process.exit(1))"]
ENTRYPOINT ["node", "bin/espo-sso.js"]
CMD ["serve"]
