// SPDX-License-Identifier: MIT
#include "strata/project/locate.hpp"
#include "strata/project/project.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <tuple>
#include <vector>

using strata::EnvLookup;
using strata::Error;
using strata::ErrorKind;
using strata::Project;

namespace {

const std::filesystem::path k_file = "/x/strata.toml";

EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end())
            return std::nullopt;
        return it->second;
    };
}

// Runs `work` on a thread with a 256 KiB stack and waits for it, so that a recursion as deep as
// the input crashes the test instead of passing on a generous main stack.
void on_small_stack(const std::function<void()>& work) {
    pthread_attr_t attributes;
    REQUIRE(pthread_attr_init(&attributes) == 0);
    REQUIRE(pthread_attr_setstacksize(&attributes, 256 * 1024) == 0);
    pthread_t thread;
    auto run = [](void* argument) -> void* {
        (*static_cast<const std::function<void()>*>(argument))();
        return nullptr;
    };
    REQUIRE(pthread_create(&thread, &attributes, run, const_cast<std::function<void()>*>(&work)) ==
            0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attributes);
}

Project parse(std::string_view text, const EnvLookup& env = env_of({})) {
    return strata::parse_project(text, k_file, env);
}

// The what() of the ProjectFile error that parsing `text` throws.
std::string parse_error(std::string_view text, const EnvLookup& env = env_of({})) {
    try {
        strata::parse_project(text, k_file, env);
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::ProjectFile);
        return error.what();
    }
    FAIL("parse_project did not throw");
    return {};
}

std::vector<std::string> names(const std::vector<const strata::AppConfig*>& apps) {
    std::vector<std::string> out;
    for (const auto* app : apps)
        out.push_back(app->name);
    return out;
}

const char* const k_one_app = R"(database = "app.db"
[[apps]]
name = "core"
migrations = "migrations/core"
)";

} // namespace

TEST_SUITE("project") {
    // ---- valid files ----

    TEST_CASE("a minimal file resolves paths against the project folder") {
        Project project = parse(k_one_app);
        CHECK(project.file == k_file);
        CHECK(project.database == "/x/app.db");
        CHECK(project.busy_timeout_ms == 5000);
        REQUIRE(project.apps.size() == 1);
        const auto& app = project.apps[0];
        CHECK(app.name == "core");
        CHECK(app.migrations_dir == "/x/migrations/core");
        CHECK(app.depends_on.empty());
        CHECK(app.where.to_string() == "/x/strata.toml:2:1");
    }

    TEST_CASE("absolute paths are kept as written") {
        Project project = parse(R"(database = "/var/lib/app.db"
[[apps]]
name = "core"
migrations = "/srv/migrations"
)");
        CHECK(project.database == "/var/lib/app.db");
        CHECK(project.apps[0].migrations_dir == "/srv/migrations");
    }

    TEST_CASE("a project file without a folder gives paths relative to the working directory") {
        Project project = strata::parse_project(k_one_app, "strata.toml", env_of({}));
        CHECK(project.database == "app.db");
        CHECK(project.apps[0].migrations_dir == "migrations/core");
    }

    TEST_CASE("busy_timeout_ms overrides the default") {
        Project project = parse(std::string("busy_timeout_ms = 250\n") + k_one_app);
        CHECK(project.busy_timeout_ms == 250);
        CHECK(parse(std::string("busy_timeout_ms = 0\n") + k_one_app).busy_timeout_ms == 0);
    }

    TEST_CASE("${VAR} is expanded from the environment in database and migrations") {
        Project project = parse(R"(database = "${DATA}/app.db"
[[apps]]
name = "core"
migrations = "${MIGRATIONS}/core"
)",
                                env_of({{"DATA", "/data"}, {"MIGRATIONS", "db"}}));
        CHECK(project.database == "/data/app.db");
        CHECK(project.apps[0].migrations_dir == "/x/db/core");
    }

    TEST_CASE("${VAR:-default} uses the default when the variable is unset or empty") {
        const std::string text = R"(database = "${DB:-dev.db}"
[[apps]]
name = "core"
migrations = "m"
)";
        CHECK(parse(text).database == "/x/dev.db");
        CHECK(parse(text, env_of({{"DB", ""}})).database == "/x/dev.db");
        CHECK(parse(text, env_of({{"DB", "/prod/app.db"}})).database == "/prod/app.db");
    }

    TEST_CASE("depends_on puts each app after its dependencies, listed order otherwise") {
        Project project = parse(R"(database = "app.db"
[[apps]]
name = "billing"
migrations = "m/billing"
depends_on = ["core"]
[[apps]]
name = "core"
migrations = "m/core"
[[apps]]
name = "audit"
migrations = "m/audit"
[[apps]]
name = "reports"
migrations = "m/reports"
depends_on = ["billing", "audit"]
)");
        CHECK(names({&project.apps[0], &project.apps[1], &project.apps[2], &project.apps[3]}) ==
              std::vector<std::string>{"billing", "core", "audit", "reports"});
        CHECK(project.apps[0].depends_on == std::vector<std::string>{"core"});
        CHECK(names(project.apps_in_dependency_order()) ==
              std::vector<std::string>{"core", "billing", "audit", "reports"});
        CHECK(names(project.select_apps("all")) ==
              std::vector<std::string>{"core", "billing", "audit", "reports"});
    }

    TEST_CASE("apps without dependencies keep their listed order") {
        Project project = parse(R"(database = "app.db"
[[apps]]
name = "b"
migrations = "b"
[[apps]]
name = "a"
migrations = "a"
)");
        CHECK(names(project.apps_in_dependency_order()) == std::vector<std::string>{"b", "a"});
    }

    TEST_CASE("inline tables in an apps array are accepted") {
        Project project = parse(R"(database = "app.db"
apps = [{ name = "core", migrations = "m" }, { name = "web", migrations = "w", depends_on = [] }]
)");
        CHECK(names(project.select_apps("all")) == std::vector<std::string>{"core", "web"});
    }

    TEST_CASE("find_app and select_apps with one app name") {
        Project project = parse(k_one_app);
        REQUIRE(project.find_app("core") != nullptr);
        CHECK(project.find_app("core")->name == "core");
        CHECK(project.find_app("nope") == nullptr);
        CHECK(names(project.select_apps("core")) == std::vector<std::string>{"core"});
    }

    TEST_CASE("select_apps with an unknown name is a usage error listing the apps") {
        Project project = parse(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "m/core"
[[apps]]
name = "billing"
migrations = "m/billing"
)");
        try {
            project.select_apps("cor");
            FAIL("select_apps did not throw");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::Usage);
            CHECK(std::string(error.what()) ==
                  "unknown app \"cor\"\n  hint: did you mean \"core\"? valid apps: core, billing "
                  "(or \"all\")");
        }
        CHECK_THROWS_WITH_AS(project.select_apps("zzzzzzzz"),
                             "unknown app \"zzzzzzzz\"\n  hint: valid apps: core, billing (or "
                             "\"all\")",
                             Error);
    }

    // ---- errors, each with its exact message and position ----

    TEST_CASE("a TOML syntax error keeps toml++'s position and description") {
        CHECK(parse_error("database = \"app.db\"\n[[apps]\n") ==
              "/x/strata.toml:2:8: Error while parsing table header: expected ']', saw '\\n'");
        CHECK(parse_error("database = \"app.db\"\ndatabase = \"b.db\"\n") ==
              "/x/strata.toml:2:12: Error while parsing key-value pair: cannot redefine existing "
              "string 'database'");
    }

    TEST_CASE("an unknown key suggests the closest valid key") {
        CHECK(parse_error(R"(# strata
busy_timeout_ms = 10
databse = "app.db"
[[apps]]
name = "core"
migrations = "m"
)") == "/x/strata.toml:3:1: unknown key \"databse\"\n  hint: did you mean \"database\"?");
    }

    TEST_CASE("an unknown key with nothing close lists the valid keys") {
        CHECK(parse_error(std::string("colour = true\n") + k_one_app) ==
              "/x/strata.toml:1:1: unknown key \"colour\"\n  hint: valid keys: database, "
              "busy_timeout_ms, foreign_keys, out_of_order, transaction, journal_mode, "
              "synchronous, backup, keep_backups, schema_file, state_table, minimum_sqlite, "
              "functions, "
              "apps");
    }

    TEST_CASE("an unknown table header is an unknown key at the header") {
        CHECK(parse_error(std::string(k_one_app) + "[app]\nname = \"x\"\n") ==
              "/x/strata.toml:5:2: unknown key \"app\"\n  hint: did you mean \"apps\"?");
    }

    TEST_CASE("an unknown key inside [[apps]] suggests the closest app key") {
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
  migration = "m"
)") == "/x/strata.toml:4:3: unknown key \"migration\" in [[apps]]\n  hint: did you mean "
       "\"migrations\"?");
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "m"
enabled = true
)") == "/x/strata.toml:5:1: unknown key \"enabled\" in [[apps]]\n  hint: valid keys in "
       "[[apps]]: name, migrations, depends_on");
    }

    TEST_CASE("wrong value types name the key, the expected and the found type") {
        CHECK(parse_error(std::string("busy_timeout_ms = \"5s\"\n") + k_one_app) ==
              "/x/strata.toml:1:19: `busy_timeout_ms` must be an integer, found a string");
        CHECK(parse_error(std::string("busy_timeout_ms = 1.5\n") + k_one_app) ==
              "/x/strata.toml:1:19: `busy_timeout_ms` must be an integer, found a floating-point "
              "number");
        CHECK(parse_error(R"(database = 7
[[apps]]
name = "core"
migrations = "m"
)") == "/x/strata.toml:1:12: `database` must be a string, found an integer");
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = ["core"]
migrations = "m"
)") == "/x/strata.toml:3:8: `name` must be a string, found an array");
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = true
)") == "/x/strata.toml:4:14: `migrations` must be a string, found a boolean");
    }

    TEST_CASE("depends_on must be an array of strings") {
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "m"
depends_on = "web"
)") == "/x/strata.toml:5:14: `depends_on` must be an array of strings, found a string\n  "
       "hint: write depends_on = [\"other_app\"]");
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "m"
depends_on = ["web", 3]
)") == "/x/strata.toml:5:22: `depends_on` entries must be strings, found an integer");
    }

    TEST_CASE("busy_timeout_ms must fit in 0..INT_MAX") {
        CHECK(parse_error(std::string("busy_timeout_ms = -1\n") + k_one_app) ==
              "/x/strata.toml:1:19: `busy_timeout_ms` must be between 0 and 2147483647, found -1");
        CHECK(parse_error(std::string("busy_timeout_ms = 3000000000\n") + k_one_app) ==
              "/x/strata.toml:1:19: `busy_timeout_ms` must be between 0 and 2147483647, found "
              "3000000000");
    }

    TEST_CASE("database is required") {
        CHECK(parse_error(R"([[apps]]
name = "core"
migrations = "m"
)") == "/x/strata.toml: missing required key \"database\"\n  hint: add database = \"app.db\" "
       "(a path relative to the project file)");
    }

    TEST_CASE("empty paths are refused") {
        CHECK(parse_error(R"(database = ""
[[apps]]
name = "core"
migrations = "m"
)") == "/x/strata.toml:1:12: `database` must not be empty");
        CHECK(parse_error(R"(database = "${DB:-}"
[[apps]]
name = "core"
migrations = "m"
)") == "/x/strata.toml:1:12: `database` must not be empty");
    }

    TEST_CASE("name and migrations are required in each [[apps]] entry") {
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
migrations = "m"
)") == "/x/strata.toml:2:1: missing required key \"name\" in [[apps]]\n  hint: add name = "
       "\"...\" (letters, digits, \"_\" and \"-\")");
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
[[apps]]
name = "web"
)") == "/x/strata.toml:2:1: missing required key \"migrations\" in [[apps]]\n  hint: add "
       "migrations = \"migrations/<app>\" (a folder relative to the project file)");
    }

    TEST_CASE("a project needs at least one app") {
        CHECK(parse_error("database = \"app.db\"\n") ==
              "/x/strata.toml: a project needs at least one [[apps]] entry\n  hint: add an "
              "[[apps]] section with name = \"main\" and migrations = \"migrations/main\"");
        CHECK(parse_error("database = \"app.db\"\napps = []\n") ==
              "/x/strata.toml:2:8: a project needs at least one [[apps]] entry");
    }

    TEST_CASE("apps must be an array of tables") {
        CHECK(parse_error(R"(database = "app.db"
[apps]
name = "core"
migrations = "m"
)") == "/x/strata.toml:2:1: `apps` must be an array of tables, found a table\n  hint: write "
       "each app as its own [[apps]] section (double brackets)");
        CHECK(parse_error("database = \"app.db\"\napps = [\"core\"]\n") ==
              "/x/strata.toml:2:9: `apps` entries must be tables, found a string");
    }

    TEST_CASE("duplicate app names point at the second and mention the first") {
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "m/core"
[[apps]]
name = "core"
migrations = "m/core2"
)") == "/x/strata.toml:6:8: duplicate app name \"core\" (first defined on line 3)\n  hint: app "
       "names must be unique");
    }

    TEST_CASE("app names must match [A-Za-z0-9_-]+") {
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "my app"
migrations = "m"
)") == "/x/strata.toml:3:8: invalid app name \"my app\"\n  hint: use only letters, digits, "
       "\"_\" and \"-\"");
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = ""
migrations = "m"
)") == "/x/strata.toml:3:8: invalid app name \"\"\n  hint: use only letters, digits, \"_\" "
       "and \"-\"");
        CHECK(parse(R"(database = "app.db"
[[apps]]
name = "Core_2-b"
migrations = "m"
)")
                  .apps[0]
                  .name == "Core_2-b");
    }

    TEST_CASE("the app name all is reserved") {
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "all"
migrations = "m"
)") == "/x/strata.toml:3:8: app name \"all\" is reserved\n  hint: \"all\" selects every app "
       "on the command line; choose another name");
    }

    TEST_CASE("a dependency on an unknown app points at the entry and suggests a name") {
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "m/core"
[[apps]]
name = "billing"
migrations = "m/billing"
depends_on = ["cor"]
)") == "/x/strata.toml:8:15: app \"billing\" depends on unknown app \"cor\"\n  hint: did you "
       "mean \"core\"?");
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "m/core"
[[apps]]
name = "billing"
migrations = "m/billing"
depends_on = ["core", "payments"]
)") == "/x/strata.toml:8:23: app \"billing\" depends on unknown app \"payments\"\n  hint: known "
       "apps: core");
    }

    TEST_CASE("a dependency in a one-app project") {
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "m"
depends_on = ["users"]
)") == "/x/strata.toml:5:15: app \"core\" depends on unknown app \"users\"\n  hint: this "
       "project defines no other apps");
    }

    TEST_CASE("an app depending on itself") {
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "m"
depends_on = ["core"]
)") == "/x/strata.toml:5:15: app \"core\" depends on itself\n  hint: remove \"core\" from its "
       "depends_on");
    }

    TEST_CASE("a dependency listed twice") {
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "m"
[[apps]]
name = "web"
migrations = "w"
depends_on = ["core", "core"]
)") == "/x/strata.toml:8:23: app \"web\" lists \"core\" twice in depends_on");
    }

    TEST_CASE("a very long depends_on chain is walked without recursion, in linear time") {
        // Each app depends on the next; the last one closes a cycle back to the first. Parsed on
        // a thread with a small stack: a recursive walk needs a frame per app and overflows it.
        constexpr int k_apps = 20000;
        std::string text = "database = \"app.db\"\n";
        for (int i = 0; i < k_apps; ++i)
            text += "[[apps]]\nname = \"a" + std::to_string(i) + "\"\nmigrations = \"m\"\n" +
                    "depends_on = [\"a" + std::to_string((i + 1) % k_apps) + "\"]\n";
        std::string error;
        on_small_stack([&] { error = parse_error(text); });
        CHECK(error.starts_with("/x/strata.toml:" + std::to_string(4 * k_apps + 1) +
                                ":15: dependency cycle: a0 -> a1 -> a2 -> "));
        // Without the closing entry the chain is valid, and ordered dependencies first.
        text.replace(text.rfind("depends_on"), std::string::npos, "\n");
        std::vector<std::string> order;
        on_small_stack([&] {
            const Project project = parse(text);
            for (const strata::AppConfig* app : project.apps_in_dependency_order())
                order.push_back(app->name);
        });
        REQUIRE(order.size() == k_apps);
        CHECK(order.front() == "a" + std::to_string(k_apps - 1));
        CHECK(order.back() == "a0");
    }

    TEST_CASE("a dependency cycle is named and reported where it closes") {
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "a"
migrations = "a"
depends_on = ["b"]
[[apps]]
name = "b"
migrations = "b"
depends_on = ["a"]
)") == "/x/strata.toml:9:15: dependency cycle: a -> b -> a\n  hint: remove one of the "
       "depends_on entries in this cycle");
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "base"
migrations = "base"
[[apps]]
name = "a"
migrations = "a"
depends_on = ["base", "c"]
[[apps]]
name = "b"
migrations = "b"
depends_on = ["a"]
[[apps]]
name = "c"
migrations = "c"
depends_on = ["b"]
)") == "/x/strata.toml:12:15: dependency cycle: a -> c -> b -> a\n  hint: remove one of the "
       "depends_on entries in this cycle");
    }

    TEST_CASE("an unset variable without default is an error at the value") {
        CHECK(parse_error(R"(database = "${DATA_DIR}/app.db"
[[apps]]
name = "core"
migrations = "m"
)") == "/x/strata.toml:1:12: environment variable \"DATA_DIR\" is not set\n  hint: set it, or "
       "give a default: ${DATA_DIR:-value}");
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "${M}/core"
)") == "/x/strata.toml:4:14: environment variable \"M\" is not set\n  hint: set it, or give a "
       "default: ${M:-value}");
    }

    // ---- environment expansion on its own ----

    TEST_CASE("expand_environment: references, defaults and $$") {
        const strata::SourceLocation at{"/x/strata.toml", 1, 12};
        auto env = env_of({{"HOME", "/home/me"}, {"EMPTY", ""}});
        CHECK(strata::expand_environment("plain.db", env, at) == "plain.db");
        CHECK(strata::expand_environment("${HOME}/a.db", env, at) == "/home/me/a.db");
        CHECK(strata::expand_environment("${HOME:-/tmp}/a.db", env, at) == "/home/me/a.db");
        CHECK(strata::expand_environment("${NOPE:-/tmp}/a.db", env, at) == "/tmp/a.db");
        CHECK(strata::expand_environment("${EMPTY:-fallback}", env, at) == "fallback");
        CHECK(strata::expand_environment("${EMPTY}x", env, at) == "x");
        CHECK(strata::expand_environment("${NOPE:-}", env, at).empty());
        CHECK(strata::expand_environment("price$$.db", env, at) == "price$.db");
        CHECK(strata::expand_environment("$${HOME}", env, at) == "${HOME}");
        // The default is expanded in turn, as POSIX shells do.
        CHECK(strata::expand_environment("${NOPE:-$$x}", env, at) == "$x");
        CHECK(strata::expand_environment("${NOPE:-${HOME}.db}", env, at) == "/home/me.db");
        CHECK(strata::expand_environment("${NOPE:-${EMPTY:-${HOME}}/a}.db", env, at) ==
              "/home/me/a.db");
        CHECK(strata::expand_environment("${HOME:-${NOPE}}/a.db", env, at) == "/home/me/a.db");
        CHECK(strata::expand_environment("${NOPE:-a}b}", env, at) == "ab}");
    }

    TEST_CASE("expand_environment: a nested default is checked like any reference") {
        const strata::SourceLocation at{"/x/strata.toml", 1, 12};
        auto env = env_of({});
        // Used to produce a file literally named "${HOME.db}".
        CHECK_THROWS_WITH_AS(strata::expand_environment("${UNSET:-${HOME}.db}", env, at),
                             "/x/strata.toml:1:12: environment variable \"HOME\" is not set\n  "
                             "hint: set it, or give a default: ${HOME:-value}",
                             Error);
        CHECK_THROWS_WITH_AS(
            strata::expand_environment("${A:-${B}", env, at),
            "/x/strata.toml:1:12: unterminated \"${\" in \"${A:-${B}\"\n  hint: write ${NAME} or "
            "${NAME:-default} to use an environment variable, and $$ for a literal \"$\"",
            Error);
        std::string deep = "x";
        for (int i = 0; i < 12; ++i)
            deep = "${U" + std::to_string(i) + ":-" + deep + "}";
        CHECK_THROWS_WITH_AS(strata::expand_environment(deep, env, at),
                             ("/x/strata.toml:1:12: environment references nested more than 8 "
                              "deep in \"" +
                              deep +
                              "\"\n  hint: write ${NAME} or ${NAME:-default} to use an "
                              "environment variable, and $$ for a literal \"$\"")
                                 .c_str(),
                             Error);
    }

    TEST_CASE("expand_environment: malformed references") {
        const strata::SourceLocation at{"/x/strata.toml", 1, 12};
        auto env = env_of({});
        const std::string syntax_hint = "\n  hint: write ${NAME} or ${NAME:-default} to use an "
                                        "environment variable, and $$ for a literal \"$\"";
        CHECK_THROWS_WITH_AS(
            strata::expand_environment("$HOME/a.db", env, at),
            ("/x/strata.toml:1:12: stray \"$\" in \"$HOME/a.db\"" + syntax_hint).c_str(), Error);
        CHECK_THROWS_WITH_AS(
            strata::expand_environment("a.db$", env, at),
            ("/x/strata.toml:1:12: stray \"$\" in \"a.db$\"" + syntax_hint).c_str(), Error);
        CHECK_THROWS_WITH_AS(
            strata::expand_environment("${HOME/a.db", env, at),
            ("/x/strata.toml:1:12: unterminated \"${\" in \"${HOME/a.db\"" + syntax_hint).c_str(),
            Error);
        CHECK_THROWS_WITH_AS(strata::expand_environment("${1X}", env, at),
                             "/x/strata.toml:1:12: invalid environment variable name \"1X\" in "
                             "\"${1X}\"\n  hint: names are letters, digits and \"_\", not "
                             "starting with a digit",
                             Error);
        CHECK_THROWS_WITH_AS(strata::expand_environment("${}", env, at),
                             "/x/strata.toml:1:12: invalid environment variable name \"\" in "
                             "\"${}\"\n  hint: names are letters, digits and \"_\", not starting "
                             "with a digit",
                             Error);
    }

    TEST_CASE("process_environment reads the real environment") {
        ::setenv("STRATA_PROJECT_TEST_VAR", "value", 1);
        ::unsetenv("STRATA_PROJECT_TEST_UNSET");
        auto env = strata::process_environment();
        CHECK(env("STRATA_PROJECT_TEST_VAR") == std::optional<std::string>("value"));
        CHECK_FALSE(env("STRATA_PROJECT_TEST_UNSET").has_value());
    }

    // ---- env files ----

    TEST_CASE("parse_env_file reads the usual .env syntax") {
        const auto entries = strata::parse_env_file("# settings\n"
                                                    "\n"
                                                    "PLAIN=value\n"
                                                    "export EXPORTED = spaced out  # comment\n"
                                                    "SINGLE='a $b # c'\n"
                                                    "DOUBLE=\"line\\none \\\"q\\\" \\$x\" # after\n"
                                                    "EMPTY=\n"
                                                    "HASH=a#b\r\n"
                                                    "MULTI=\"first\n"
                                                    "second\"\n"
                                                    "  LAST=1",
                                                    "/p/.env");
        std::vector<std::tuple<std::string, std::string, int>> got;
        for (const auto& entry : entries) {
            CHECK(entry.where.path == "/p/.env");
            got.emplace_back(entry.name, entry.value, entry.where.line);
        }
        CHECK(got == std::vector<std::tuple<std::string, std::string, int>>{
                         {"PLAIN", "value", 3},
                         {"EXPORTED", "spaced out", 4},
                         {"SINGLE", "a $b # c", 5},
                         {"DOUBLE", "line\none \"q\" $x", 6},
                         {"EMPTY", "", 7},
                         {"HASH", "a#b", 8},
                         {"MULTI", "first\nsecond", 9},
                         {"LAST", "1", 11},
                     });
    }

    TEST_CASE("parse_env_file errors point at file:line") {
        auto error_of = [](std::string_view text) -> std::string {
            try {
                strata::parse_env_file(text, "/p/.env");
            } catch (const Error& error) {
                CHECK(error.kind() == ErrorKind::ProjectFile);
                return error.message() + " @" + error.where().to_string();
            }
            return "(no error)";
        };
        CHECK(error_of("A=1\nno equals here\n") == "expected \"=\" after \"no\" @/p/.env:2");
        CHECK(error_of("A=1\n\n1X=2\n") == "expected a variable name (letters, digits and \"_\", "
                                           "not starting with a digit) @/p/.env:3");
        CHECK(error_of("A=\"open\nB=2\n") == "a value opened with \" is never closed @/p/.env:1");
        CHECK(error_of("A='open\n") == "a value opened with ' is never closed @/p/.env:1");
        CHECK(error_of("A=\"x\" y\n") == "unexpected text after the closing quote of A @/p/.env:1");
        CHECK(error_of("A=\xFF\n").rfind("file is not valid UTF-8 (byte 0xFF) @/p/.env:1:3", 0) ==
              0);
    }

    TEST_CASE(
        "with_env_file: the environment wins, the file fills in, the last assignment counts") {
        const auto env =
            strata::with_env_file(env_of({{"SHARED", "from environment"}}),
                                  strata::parse_env_file("SHARED=from file\nONLY=first\n"
                                                         "ONLY=second\n",
                                                         ".env"));
        CHECK(env("SHARED") == std::optional<std::string>("from environment"));
        CHECK(env("ONLY") == std::optional<std::string>("second"));
        CHECK_FALSE(env("NEITHER").has_value());
        CHECK(
            parse("database = \"${ONLY}.db\"\n[[apps]]\nname = \"core\"\nmigrations = \"m\"\n", env)
                .database == std::filesystem::path("/x/second.db"));
    }

    TEST_CASE("load_env_file: a missing file is skipped only when it is optional") {
        strata::test::TempDir dir;
        CHECK(strata::load_env_file(dir / ".env", strata::MissingEnvFile::Skip).empty());
        CHECK_THROWS_WITH_AS(strata::load_env_file(dir / ".env"),
                             ((dir / ".env").string() +
                              ": env file not found\n  hint: check the path given to --env-file")
                                 .c_str(),
                             Error);
        strata::test::write_file(dir / ".env", "A=1\n");
        CHECK(strata::load_env_file(dir / ".env", strata::MissingEnvFile::Skip).size() == 1);
    }

    TEST_CASE("load_env_file: a .env that exists but cannot be read is an error, even optional") {
        strata::test::TempDir dir;
        std::filesystem::create_directory(dir / ".env");
        for (const auto missing : {strata::MissingEnvFile::Skip, strata::MissingEnvFile::Error})
            CHECK_THROWS_WITH_AS(strata::load_env_file(dir / ".env", missing),
                                 doctest::Contains("cannot read env file: "), Error);
    }

    // ---- finding the project file ----

    TEST_CASE("find_project_file searches the working folder, then its parents") {
        strata::test::TempDir dir;
        std::filesystem::create_directories(dir / "a/b/c");
        strata::test::write_file(dir / "a/strata.toml", k_one_app);
        const strata::WorkingFolder deep{dir / "a/b/c", dir / "a/b/c"};
        CHECK(strata::find_project_file(deep, std::nullopt) == dir / "a/strata.toml");
        // The nearest wins.
        strata::test::write_file(dir / "a/b/strata.toml", k_one_app);
        CHECK(strata::find_project_file(deep, std::nullopt) == dir / "a/b/strata.toml");
    }

    TEST_CASE("find_project_file without a project anywhere up says so") {
        strata::test::TempDir dir;
        std::filesystem::create_directories(dir / "a/b");
        const strata::WorkingFolder folder{dir / "a/b", dir / "a/b"};
        try {
            strata::find_project_file(folder, std::nullopt);
            FAIL("found a project file");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::ProjectFile);
            CHECK(error.message() ==
                  "no strata.toml in " + (dir / "a/b").string() + " or any parent folder");
        }
    }

    // ---- load_project ----

    TEST_CASE("load_project reads the file and checks the migrations folders") {
        strata::test::TempDir dir;
        strata::test::write_file(dir / "strata.toml", k_one_app);
        std::filesystem::create_directories(dir / "migrations/core");
        Project project = strata::load_project(dir / "strata.toml", env_of({}));
        CHECK(project.database == dir / "app.db");
        CHECK(project.apps[0].migrations_dir == dir / "migrations/core");
    }

    TEST_CASE("load_project with a missing project file hints at strata init and -p") {
        strata::test::TempDir dir;
        const auto file = dir / "strata.toml";
        try {
            strata::load_project(file, env_of({}));
            FAIL("load_project did not throw");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::ProjectFile);
            CHECK(std::string(error.what()) ==
                  file.string() +
                      ": project file not found\n  hint: run `strata init` to create one, or "
                      "pass -p FILE to use another");
        }
    }

    TEST_CASE("load_project given a directory") {
        strata::test::TempDir dir;
        CHECK_THROWS_WITH_AS(strata::load_project(dir.path(), env_of({})),
                             (dir.path().string() +
                              ": project file is a directory\n  hint: pass -p FILE with the path "
                              "of a strata.toml file")
                                 .c_str(),
                             Error);
    }

    TEST_CASE("load_project refuses a FIFO without waiting for a writer") {
        strata::test::TempDir dir;
        const auto file = dir / "strata.toml";
        REQUIRE(::mkfifo(file.c_str(), 0600) == 0);
        CHECK_THROWS_WITH_AS(strata::load_project(file, env_of({})),
                             (file.string() +
                              ": project file is not a regular file (it is a FIFO)\n  hint: pass "
                              "-p FILE with the path of a strata.toml file")
                                 .c_str(),
                             Error);
    }

    TEST_CASE("load_project refuses a project file past the size limit without reading it") {
        strata::test::TempDir dir;
        const auto file = dir / "strata.toml";
        strata::test::write_file(file, "");
        REQUIRE(::truncate(file.c_str(), 64 * 1024 * 1024 + 1) == 0); // sparse: no disk used
        CHECK_THROWS_WITH_AS(strata::load_project(file, env_of({})),
                             (file.string() +
                              ": project file is too large (67108865 bytes; the limit is "
                              "67108864)\n  hint: pass -p FILE with the path of a strata.toml "
                              "file")
                                 .c_str(),
                             Error);
    }

    TEST_CASE("load_project reads a file with a BOM and reports an empty one") {
        strata::test::TempDir dir;
        std::filesystem::create_directories(dir / "migrations/core");
        strata::test::write_file(dir / "strata.toml", std::string("\xEF\xBB\xBF") + k_one_app);
        CHECK(strata::load_project(dir / "strata.toml", env_of({})).apps.size() == 1);
        strata::test::write_file(dir / "strata.toml", "");
        CHECK_THROWS_WITH_AS(strata::load_project(dir / "strata.toml", env_of({})),
                             doctest::Contains("strata.toml: missing required key \"database\""),
                             Error);
    }

    TEST_CASE("a project file follows the text rules of every file: UTF-8, no NUL byte") {
        // The same checks as for migration files, at the character an editor shows.
        CHECK(parse_error("database = \"caf\xC3\xA9\xFF.db\"\n") ==
              "/x/strata.toml:1:17: file is not valid UTF-8 (byte 0xFF)\n"
              "  hint: save the file as UTF-8 text");
        CHECK(parse_error(std::string("database = \"app.db\"\n\0\n", 22)) ==
              "/x/strata.toml:2:1: file contains a NUL byte\n"
              "  hint: remove it; a file with NUL bytes is often UTF-16: save it as UTF-8 text");
        // UTF-16 with its BOM, as some Windows editors save it.
        const std::string utf16 = std::string("\xFF\xFE") + std::string("d\0b\0", 4);
        CHECK(parse_error(utf16).starts_with(
            "/x/strata.toml:1:1: file is not valid UTF-8 (byte 0xFF)"));
        // A UTF-8 BOM is skipped and not counted as a column.
        CHECK(parse_error("\xEF\xBB\xBF\xC3") ==
              "/x/strata.toml:1:1: file is not valid UTF-8 (byte 0xC3)\n"
              "  hint: save the file as UTF-8 text");
    }

    TEST_CASE("load_project with a missing migrations folder points at its value") {
        strata::test::TempDir dir;
        strata::test::write_file(dir / "strata.toml", k_one_app);
        const auto file = dir / "strata.toml";
        try {
            strata::load_project(file, env_of({}));
            FAIL("load_project did not throw");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::ProjectFile);
            CHECK(std::string(error.what()) ==
                  file.string() + ":4:14: migrations folder \"" +
                      (dir / "migrations/core").string() +
                      "\" of app \"core\" does not exist\n  hint: create the folder, or correct "
                      "the path (it is relative to the project file's folder)");
        }
    }

    TEST_CASE("load_project with a migrations path that is a file") {
        strata::test::TempDir dir;
        strata::test::write_file(dir / "strata.toml", k_one_app);
        strata::test::write_file(dir / "migrations/core", "not a folder");
        const auto file = dir / "strata.toml";
        CHECK_THROWS_WITH_AS(strata::load_project(file, env_of({})),
                             (file.string() + ":4:14: migrations folder \"" +
                              (dir / "migrations/core").string() +
                              "\" of app \"core\" is not a directory\n  hint: `migrations` must "
                              "name a folder of .up.sql/.down.sql files")
                                 .c_str(),
                             Error);
    }

    TEST_CASE("load_project refuses a schema_file that is one of the project's own files") {
        strata::test::TempDir dir;
        std::filesystem::create_directories(dir / "migrations/core");
        strata::test::write_file(dir / "migrations/core/0001_a.up.sql", "SELECT 1;\n");
        strata::test::write_file(dir / "app.db", "");
        std::filesystem::create_directories(dir / "data");
        std::filesystem::create_symlink(dir / "app.db", dir / "link.db");
        const auto file = dir / "strata.toml";
        struct Case {
            std::string value;
            std::string problem;
        };
        const std::string db = (dir / "app.db").string();
        const std::string core = (dir / "migrations/core").string();
        for (const Case& c : std::vector<Case>{
                 {"app.db", "is the database " + db},
                 {"./data/../app.db", "is the database " + db},
                 {"link.db", "is the database " + db},
                 {"app.db-journal", "is the database's rollback journal " + db + "-journal"},
                 {"app.db-wal", "is the database's write-ahead log " + db + "-wal"},
                 {"app.db-shm", "is the database's WAL index " + db + "-shm"},
                 {"strata.toml", "is the project file " + file.string()},
                 {"data/../strata.toml", "is the project file " + file.string()},
                 {"migrations/core/0001_a.up.sql",
                  "is in the migrations folder " + core + " of app \"core\""},
                 {"migrations/core/schema.sql",
                  "is in the migrations folder " + core + " of app \"core\""},
                 {"migrations/core/new/schema.sql",
                  "is in the migrations folder " + core + " of app \"core\""},
                 {"migrations/core", "is in the migrations folder " + core + " of app \"core\""},
             }) {
            CAPTURE(c.value);
            // schema_file comes before database in the file: the check waits for every key.
            strata::test::write_file(file, "schema_file = \"" + c.value + "\"\n" + k_one_app);
            const std::string resolved = (dir / c.value).string();
            try {
                strata::load_project(file, env_of({}));
                FAIL("load_project did not throw");
            } catch (const Error& error) {
                CHECK(error.kind() == ErrorKind::ProjectFile);
                CHECK(std::string(error.what()) ==
                      file.string() + ":1:15: `schema_file` \"" + resolved + "\" " + c.problem +
                          "\n  hint: point schema_file at a file of its own, e.g. schema.sql "
                          "beside strata.toml: strata never writes over the database, its "
                          "journal, WAL or index, the project file or a migrations folder");
            }
        }
        // A file of its own, even one whose name starts like the database's or a folder's.
        for (const char* value : {"schema.sql", "app.db.sql", "migrations/schema.sql",
                                  "migrations/core-schema.sql", "data/schema.sql"}) {
            CAPTURE(value);
            strata::test::write_file(file,
                                     "schema_file = \"" + std::string(value) + "\"\n" + k_one_app);
            CHECK(strata::load_project(file, env_of({})).settings.schema_file == dir / value);
        }
    }

    TEST_CASE("load_project reports syntax errors with the real path") {
        strata::test::TempDir dir;
        const auto file = dir / "strata.toml";
        strata::test::write_file(file, "database = \n");
        try {
            strata::load_project(file, env_of({}));
            FAIL("load_project did not throw");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::ProjectFile);
            CHECK(error.where().path == file.string());
            CHECK(error.where().line == 1);
        }
    }

    // ---- safety settings ----

    TEST_CASE("safety settings have safe defaults") {
        const strata::Settings settings = parse(k_one_app).settings;
        CHECK(settings.foreign_keys == strata::ForeignKeyMode::Deferred);
        CHECK(settings.out_of_order == strata::OutOfOrder::Error);
        CHECK(settings.transaction == strata::TransactionScope::Each);
        CHECK(settings.journal_mode == strata::JournalMode::Unchanged);
        CHECK(settings.synchronous == strata::Synchronous::Full);
        CHECK_FALSE(settings.backup);
        CHECK(settings.keep_backups == 3);
        CHECK(settings.schema_file.empty());
        CHECK(settings.state_table == "migrations");
    }

    TEST_CASE("safety settings are read") {
        const strata::Settings settings = parse(std::string(R"(foreign_keys = "off"
out_of_order = "allow"
transaction = "all"
journal_mode = "wal"
synchronous = "extra"
backup = true
keep_backups = 5
schema_file = "db/schema.sql"
state_table = "strata_state"
)") + k_one_app)
                                              .settings;
        CHECK(settings.foreign_keys == strata::ForeignKeyMode::Off);
        CHECK(settings.out_of_order == strata::OutOfOrder::Allow);
        CHECK(settings.transaction == strata::TransactionScope::All);
        CHECK(settings.journal_mode == strata::JournalMode::Wal);
        CHECK(settings.synchronous == strata::Synchronous::Extra);
        CHECK(settings.backup);
        CHECK(settings.keep_backups == 5);
        CHECK(settings.schema_file == std::filesystem::path("/x/db/schema.sql"));
        CHECK(settings.state_table == "strata_state");
    }

    TEST_CASE("bad safety settings point at the value") {
        CHECK(parse_error(std::string("transaction = \"some\"\n") + k_one_app) ==
              "/x/strata.toml:1:15: `transaction` must be one of \"each\", \"all\", found "
              "\"some\"");
        CHECK(parse_error(std::string("backup = \"yes\"\n") + k_one_app) ==
              "/x/strata.toml:1:10: `backup` must be a boolean (true or false), found a string");
        CHECK(parse_error(std::string("keep_backups = 0\n") + k_one_app) ==
              "/x/strata.toml:1:16: `keep_backups` must be between 1 and 1000, found 0");
        CHECK(parse_error(std::string("journal_mode = \"off\"\n") + k_one_app) ==
              "/x/strata.toml:1:16: journal_mode \"off\" is refused: without a journal on disk a "
              "crash or power loss during a migration can corrupt the database\n"
              "  hint: use \"wal\" or \"delete\"");
        CHECK(parse_error(std::string("backup = false\nstate_table = \"strata-state\"\n") +
                          k_one_app) ==
              "/x/strata.toml:2:15: `state_table` must be a plain name (letters, digits and "
              "\"_\", not starting with a digit), found \"strata-state\"\n"
              "  hint: for example state_table = \"strata_migrations\"");
        CHECK(parse_error(std::string("state_table = \"sqlite_state\"\n") + k_one_app)
                  .rfind("/x/strata.toml:1:15: `state_table` must not start with \"sqlite_\"", 0) ==
              0);
        CHECK(parse_error(std::string("state_table = 1\n") + k_one_app) ==
              "/x/strata.toml:1:15: `state_table` must be a string, found an integer");
        CHECK(parse_error(std::string("synchronous = \"normal\"\n") + k_one_app)
                  .rfind("/x/strata.toml:1:15: synchronous \"normal\" is refused", 0) == 0);
    }

    TEST_CASE("minimum_sqlite and functions are read, and bad values point at themselves") {
        const strata::Settings settings =
            parse(std::string("minimum_sqlite = \"3.31\"\nfunctions = [\"slugify\", "
                              "\"my_hash\"]\n") +
                  k_one_app)
                .settings;
        CHECK(settings.minimum_sqlite == 3031000);
        CHECK(settings.functions == std::vector<std::string>{"slugify", "my_hash"});
        CHECK(parse(k_one_app).settings.minimum_sqlite == 0);
        CHECK(parse(k_one_app).settings.functions.empty());
        CHECK(parse(std::string("minimum_sqlite = \"3.8.11\"\n") + k_one_app)
                  .settings.minimum_sqlite == 3008011);
        CHECK(parse_error(std::string("minimum_sqlite = \"4.0\"\n") + k_one_app) ==
              "/x/strata.toml:1:18: `minimum_sqlite` must be a SQLite 3 version such as \"3.31\" "
              "or \"3.31.1\", found \"4.0\"\n  hint: for example minimum_sqlite = \"3.31\"");
        CHECK(parse_error(std::string("minimum_sqlite = 3.31\n") + k_one_app) ==
              "/x/strata.toml:1:18: `minimum_sqlite` must be a string, found a floating-point "
              "number");
        CHECK(parse_error(std::string("functions = [\"ok\", \"bad name\"]\n") + k_one_app) ==
              "/x/strata.toml:1:20: `functions` entries must be plain function names (letters, "
              "digits and \"_\", not starting with a digit), found \"bad name\"");
        CHECK(parse_error(std::string("functions = [1]\n") + k_one_app) ==
              "/x/strata.toml:1:14: `functions` entries must be strings, found an integer");
        CHECK(parse_error(std::string("functions = \"f\"\n") + k_one_app) ==
              "/x/strata.toml:1:13: `functions` must be an array of strings, found a string\n"
              "  hint: write functions = [\"my_function\"]");
    }

    TEST_CASE("setting values are read in any case") {
        const strata::Settings settings =
            parse(std::string("journal_mode = \"WAL\"\nforeign_keys = \"Deferred\"\n"
                              "synchronous = \"Extra\"\ntransaction = \"All\"\n"
                              "out_of_order = \"ALLOW\"\n") +
                  k_one_app)
                .settings;
        CHECK(settings.journal_mode == strata::JournalMode::Wal);
        CHECK(settings.foreign_keys == strata::ForeignKeyMode::Deferred);
        CHECK(settings.synchronous == strata::Synchronous::Extra);
        CHECK(settings.transaction == strata::TransactionScope::All);
        CHECK(settings.out_of_order == strata::OutOfOrder::Allow);
    }

    TEST_CASE("a setting of the wrong type lists the values it takes") {
        CHECK(parse_error(std::string("foreign_keys = 1\n") + k_one_app) ==
              "/x/strata.toml:1:16: `foreign_keys` must be one of \"deferred\", \"immediate\", "
              "\"off\", found an integer");
        CHECK(parse_error(std::string("journal_mode = true\n") + k_one_app) ==
              "/x/strata.toml:1:16: `journal_mode` must be one of \"delete\", \"truncate\", "
              "\"persist\", \"wal\", found a boolean");
        CHECK(parse_error(std::string("synchronous = 2\n") + k_one_app) ==
              "/x/strata.toml:1:15: `synchronous` must be one of \"full\", \"extra\", found an "
              "integer");
    }

    TEST_CASE("a top-level key written after [[apps]] is to be moved above it") {
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "m"
journal_mode = "wal"
)") == "/x/strata.toml:5:1: \"journal_mode\" is a top-level key, but it is written after an "
       "[[apps]] header, so TOML reads it as part of that app\n"
       "  hint: move it above the first [[apps]]");
        // Before anything else is reported missing: the database is there, only misplaced.
        CHECK(parse_error(R"([[apps]]
name = "core"
migrations = "m"
database = "app.db"
)") == "/x/strata.toml:4:1: \"database\" is a top-level key, but it is written after an "
       "[[apps]] header, so TOML reads it as part of that app\n"
       "  hint: move it above the first [[apps]]");
    }

    TEST_CASE("a path starting with ~ gets a hint to write ${HOME}") {
        CHECK(parse_error(R"(database = "~/data/app.db"
[[apps]]
name = "core"
migrations = "m"
)") == "/x/strata.toml:1:12: `database` starts with \"~\", which strata does not expand\n"
       "  hint: write ${HOME}/data/app.db to mean your home folder");
        CHECK(parse_error(R"(database = "app.db"
[[apps]]
name = "core"
migrations = "~"
)") == "/x/strata.toml:4:14: `migrations` starts with \"~\", which strata does not expand\n"
       "  hint: write ${HOME} to mean your home folder");
        // Only a leading ~ means home to a shell; elsewhere it is an ordinary character.
        CHECK(parse(R"(database = "a~b.db"
[[apps]]
name = "core"
migrations = "m~"
)")
                  .database == std::filesystem::path("/x/a~b.db"));
    }

    TEST_CASE("input that crashes toml++ 3.3 is reported, not a crash") {
        CHECK(parse_error("[\xc3\x99\n").find("/x/strata.toml:1:2: ") == 0);
        CHECK(parse_error("[.apps]\n").rfind("/x/strata.toml:", 0) == 0);
        // Non-ASCII text inside strings and comments stays fine.
        CHECK(parse(std::string("# caf\xc3\xa9\n") + k_one_app).apps.size() == 1);
    }
}
