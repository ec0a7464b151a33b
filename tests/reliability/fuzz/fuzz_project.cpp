// SPDX-License-Identifier: MIT
// libFuzzer target: strata::parse_project on arbitrary text, with a fixed path and an empty
// environment. A strata::Error(ProjectFile) is the expected answer to bad text; a crash, a
// sanitizer report, another exception or an accepted project that breaks the documented
// guarantees is a bug.
#include "fuzz_support.hpp"
#include "strata/error.hpp"
#include "strata/project/project.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <typeinfo>

namespace {

const std::filesystem::path k_file = "/fuzz/project/strata.toml";

bool valid_app_name(const std::string& name) {
    if (name.empty() || name == "all")
        return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    return true;
}

// What parse_project promises about a project it accepts.
void check_accepted(const strata::Project& project) {
    using strata::fuzz::bug;
    if (project.apps.empty())
        bug("accepted a project without apps");
    if (project.database.empty() || !project.database.is_absolute())
        bug("database path not resolved against the project folder: " + project.database.string());
    if (project.busy_timeout_ms < 0)
        bug("negative busy_timeout_ms accepted");
    std::set<std::string> names;
    for (const strata::AppConfig& app : project.apps) {
        if (!valid_app_name(app.name))
            bug("invalid app name accepted: \"" + app.name + "\"");
        if (!names.insert(app.name).second)
            bug("duplicate app name accepted: " + app.name);
        if (!app.migrations_dir.is_absolute())
            bug("migrations folder not resolved: " + app.migrations_dir.string());
        if (project.find_app(app.name) != &app)
            bug("find_app does not find " + app.name);
    }
    // Every app exactly once, each after the apps it depends on.
    const auto order = project.select_apps("all");
    if (order.size() != project.apps.size())
        bug("dependency order drops or repeats apps");
    std::set<std::string> placed;
    for (const strata::AppConfig* app : order) {
        for (const std::string& dependency : app->depends_on) {
            if (!names.contains(dependency))
                bug("depends_on names an unknown app: " + dependency);
            if (!placed.contains(dependency))
                bug(app->name + " is ordered before its dependency " + dependency);
        }
        if (!placed.insert(app->name).second)
            bug("dependency order repeats " + app->name);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const strata::EnvLookup no_environment = [](const std::string&) -> std::optional<std::string> {
        return std::nullopt;
    };
    try {
        check_accepted(strata::parse_project(text, k_file, no_environment));
    } catch (const strata::Error& error) {
        if (error.kind() != strata::ErrorKind::ProjectFile)
            strata::fuzz::bug(std::string("parse_project threw Error(") +
                              strata::fuzz::kind_name(error.kind()) + "): " + error.what());
        if (!std::string_view(error.what()).starts_with(k_file.string()))
            strata::fuzz::bug(std::string("error does not name the project file: ") + error.what());
    } catch (const std::bad_alloc&) {
        // Out of memory is the environment's limit, not a parser bug.
    } catch (const std::exception& error) {
        strata::fuzz::bug(std::string("parse_project let a ") + typeid(error).name() +
                          " escape: " + error.what());
    }
    return 0;
}
