FROM python:3.11-slim
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 KGQA_HOME=/data/kgqa
COPY pyproject.toml README.md ./
COPY kgqa ./kgqa
COPY cypher ./cypher
COPY data ./data
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0" \
    && pip install .
EXPOSE 8000
CMD ["kgqa", "serve", "--host", "0.0.0.0", "--port", "8000"]
