# The demo API image (also runs the traffic simulator and the on-call webhook receiver in docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not copied yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Express is a peer dependency of the library but the demo's own framework: keep it (at its locked
# version) as the one runtime dependency taken from the dev dependencies.
RUN node -e "const fs=require('fs');const p=require('./package.json');p.dependencies.express=p.devDependencies.express;delete p.devDependencies;fs.writeFileSync('package.json',JSON.stringify(p,null,2))" \
  && npm install --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000 9099 9465
CMD ["node", "dist/cjs/cli.js", "demo", "--host", "0.0.0.0", "--port", "3000", "--no-traffic"]
