FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini schema.graphql ./
COPY config ./config
COPY api ./api
COPY schema ./schema
COPY db ./db
COPY seeds ./seeds
RUN pip install --no-cache-dir .
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
# DATABASE_URL is required in a container: the embedded server is for local use.
CMD ["python", "-m", "api", "serve"]
