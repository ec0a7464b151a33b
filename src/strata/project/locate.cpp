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
    std::error_code error;
    if (explicit_file) {
        const fs::path file = folder.resolve(*explicit_file);
        if (fs::exists(file, error))
            return file;
        throw Error(ErrorKind::ProjectFile, "project file not found", {file.string()},
                    "check the path given to -p/--project");
    }
    // The working folder's own file keeps the path as the user would write it.
    const fs::path here = folder.resolve(k_project_file_name);
    if (fs::exists(here, error))
        return here;
    // As git and cargo do: a command run in a subfolder of a project uses that project. The
    // parents are taken lexically, so a working folder reached through a link searches the
    // folders its path names.
    for (fs::path parent = folder.absolute.parent_path(); !parent.empty();
         parent = parent.parent_path()) {
        const fs::path file = parent / k_project_file_name;
        if (fs::exists(file, error))
            return file;
        if (parent == parent.root_path())
            break;
    }
    throw Error(ErrorKind::ProjectFile,
                "no strata.toml in " + folder.absolute.string() + " or any parent folder", {},
                "create one with `strata init`, or point at one with -p FILE or -C DIR");
}

} // namespace strata
