# The demo API image (also runs the traffic simulator and the on-call webhook receiver in docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/cors-sentinel/package.json ./packages/cors-sentinel/
COPY packages/cli/package.json ./packages/cli/
# --ignore-scripts: `prepare` builds, and the sources are not copied yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY packages/cors-sentinel/src ./packages/cors-sentinel/src
COPY packages/cors-sentinel/schema ./packages/cors-sentinel/schema
COPY packages/cors-sentinel/tsconfig.json ./packages/cors-sentinel/
COPY packages/cli/src ./packages/cli/src
COPY packages/cli/tsconfig.json ./packages/cli/
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/cors-sentinel/package.json ./packages/cors-sentinel/
COPY packages/cli/package.json ./packages/cli/
# The workspaces' runtime dependencies only (Express comes with @cors-sentinel/cli, for the demo).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/packages/cors-sentinel/dist ./packages/cors-sentinel/dist
COPY --from=build /app/packages/cors-sentinel/schema ./packages/cors-sentinel/schema
COPY --from=build /app/packages/cli/dist ./packages/cli/dist
USER node
EXPOSE 3000 9099 9465
CMD ["node", "packages/cli/dist/cjs/cli.js", "demo", "--host", "0.0.0.0", "--port", "3000", "--no-traffic"]
