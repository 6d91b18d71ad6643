"""Deis in Python: a Heroku-style platform re-created from Deis v1."""

from setuptools import find_packages, setup

COMPONENTS = (
    "builder", "controller", "database", "logger", "logspout",
    "publisher", "registry", "router", "store",
)

setup(
    name="deis",
    version="1.13.4",
    description="A Heroku-style platform: git push, Docker, etcd, nginx (Deis v1 re-created)",
    python_requires=">=3.11",
    packages=find_packages(include=["deis", "deis.*", "deisctl", "deisctl.*", *[f"{c}*" for c in COMPONENTS]]),
    package_data={"deisctl": ["templates/*.j2"], "database": ["templates/*.sql"], "registry": ["templates/*.j2"],
                  "store": ["templates/*.j2"], "router": ["templates/*.j2"],
                  "builder": ["buildpacks/init", "buildpacks/slugbuilder", "buildpacks/*/bin/*"]},
    install_requires=[
        "click>=8.1",
        "requests>=2.31",
        "supervisor>=4.2",
        "psutil>=5.9",
        "jinja2>=3.1",
        "docker>=7.0",
        "flask>=3.0",
        "sqlalchemy>=2.0",
        "alembic>=1.13",
        "psycopg2-binary>=2.9",
        "argon2-cffi>=23.1",
        "gunicorn>=22.0",
        "cryptography>=38.0",
        "paramiko>=3.4",
        "pyyaml>=6.0",
        "boto3>=1.28",
    ],
    extras_require={
        # schemathesis 3 has the in-process WSGI transport the fuzzing suite (T15) uses; hypothesis 6.135
        # dropped an internal that hypothesis-jsonschema 0.23 (schemathesis's generator) still calls.
        "test": ["pytest>=7.4", "pytest-timeout>=2.2", "ruff>=0.4", "import-linter>=2.0",
                 "schemathesis>=3.39,<4", "hypothesis>=6.108,<6.135"],
    },
    entry_points={
        "console_scripts": [
            "deis = deis.cli:main",
            "deisctl = deisctl.cli:main",
            *[f"deis-{c} = {c}.__main__:main" for c in COMPONENTS],
        ],
    },
)
