// SPDX-License-Identifier: MIT
#include "strata/project/locate.hpp"

#include "strata/error.hpp"

#include <system_error>

namespace strata {

namespace fs = std::filesystem;

fs::path WorkingFolder::resolve(const fs::path& relative) const {
    return relative.is_absolute() || path.empty() ? relative : path / relative;
}

WorkingFolder working_folder(const std::optional<fs::path>& directory) {
    std::error_code error;
    const fs::path current = fs::current_path(error);
    if (error)
        throw Error(ErrorKind::Usage, "cannot read the current folder: " + error.message(), {},
                    "run strata from a folder that exists, or pass -C DIR");
    if (!directory)
        return {{}, current};
    const fs::file_status status = fs::status(*directory, error);
    if (status.type() == fs::file_type::not_found)
        throw Error(ErrorKind::Usage, "cannot change to this folder: it does not exist",
                    {directory->string()}, "check the folder given to -C");
    if (status.type() != fs::file_type::directory)
        throw Error(ErrorKind::Usage,
                    "cannot change to this folder: " +
                        (error ? error.message() : std::string("it is not a folder")),
                    {directory->string()}, "check the folder given to -C");
    const fs::path absolute = directory->is_absolute() ? *directory : current / *directory;
    return {*directory, absolute.lexically_normal()};
}

fs::path find_project_file(const WorkingFolder& folder,
                           const std::optional<fs::path>& explicit_file) {
    const fs::path file = folder.resolve(explicit_file.value_or("strata.toml"));
    std::error_code error;
    if (fs::exists(file, error))
        return file;
    if (explicit_file)
        throw Error(ErrorKind::ProjectFile, "project file not found", {file.string()},
                    "check the path given to -p/--project");
    throw Error(ErrorKind::ProjectFile, "no strata.toml in " + folder.absolute.string(), {},
                "create one with `strata init`, or point at one with -p FILE or -C DIR");
}

} // namespace strata
