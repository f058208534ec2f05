"""Catalog templates: books, pet supplies and toys.

Books are public-domain classics in well-known series, or titles by fictional
authors from fictional local presses (Skidmore Street Press, Ferncliff Books); the
"brand" of a book is its publisher.
"""

from __future__ import annotations

from localshelf.demo.catalog_spec import CategorySpec as C
from localshelf.demo.catalog_spec import G

BOOK_NAME = "{line} ({brand} {variant})"

# fmt: off
BOOKS: tuple[C, ...] = (
    C("Books > Classics", "books", (999, 1699),
      "{line}, in the {brand} edition.", (
        G("Penguin Classics", ("Pride and Prejudice by Jane Austen", "Moby-Dick by Herman Melville",
                               "Frankenstein by Mary Shelley", "Middlemarch by George Eliot",
                               "Jane Eyre by Charlotte Brontë"), ("Paperback",)),
        G("Vintage Classics", ("The Great Gatsby by F. Scott Fitzgerald", "Wuthering Heights by Emily Brontë",
                               "Little Women by Louisa May Alcott"), ("Paperback",)),
        G("Modern Library", ("Dracula by Bram Stoker", "The Count of Monte Cristo by Alexandre Dumas"),
          ("Hardcover",), price=(2499, 3499)),
        G("Dover Thrift Editions", ("The Call of the Wild by Jack London", "The Awakening by Kate Chopin",
                                    "Walden by Henry David Thoreau"), ("Paperback",), price=(399, 599)),
        G("Signet Classics", ("Emma by Jane Austen", "Adventures of Huckleberry Finn by Mark Twain"),
          ("Paperback",), price=(699, 999)),
    ), name_format=BOOK_NAME),
    C("Books > Children's", "books", (799, 1499),
      "{line}, a read-aloud favorite ({brand}).", (
        G("Puffin Classics", ("The Secret Garden by Frances Hodgson Burnett", "Peter Pan by J. M. Barrie",
                              "Alice's Adventures in Wonderland by Lewis Carroll",
                              "The Wonderful Wizard of Oz by L. Frank Baum", "Black Beauty by Anna Sewell",
                              "Anne of Green Gables by L. M. Montgomery"), ("Paperback",)),
        G("Dover Children's Classics", ("The Velveteen Rabbit by Margery Williams",
                                        "The Tale of Peter Rabbit by Beatrix Potter",
                                        "The Jungle Book by Rudyard Kipling"), ("Paperback",), price=(499, 799)),
        G("Skidmore Street Press", ("Little Beaver and the Big River by Maya Lindqvist",
                                    "Counting Ferns: A Pacific Northwest Counting Book by Theo Alvarez",
                                    "Rosie and the Rainy-Day Bridge by June Okafor"), ("Board Book",)),
    ), name_format=BOOK_NAME),
    C("Books > Cookbooks", "books", (2499, 3999),
      "{line}, a cookbook from {brand}.", (
        G("Skidmore Street Press", ("The Cascadia Table by Nora Whitfield",
                                    "Cast Iron Camp Cooking by Ben Oyelaran",
                                    "Cart Life: Recipes from Portland's Food Carts by Lena Marsh",
                                    "Hazelnut & Honey: Baking in the Willamette Valley by Iris Tanaka"),
          ("Hardcover",)),
        G("Ferncliff Books", ("Weeknight Vegetables by Sam Delgado", "The Fermented Pantry by Kira Novak"),
          ("Paperback",), price=(1999, 2499)),
        G("Dover Cookbooks", ("The Boston Cooking-School Cook Book by Fannie Merritt Farmer",), ("Paperback",),
          price=(1499, 1999)),
    ), name_format=BOOK_NAME),
    C("Books > Travel & Outdoors", "books", (1699, 2499),
      "{line}, a regional guide from {brand}.", (
        G("Skidmore Street Press", ("Day Hikes of the Columbia River Gorge by Owen Price",
                                    "Cycling Portland: 40 Neighborhood Rides by Dana Whitaker",
                                    "Oregon Coast Tide Pool Guide by Priya Raman", "Mount Hood Trails by Everett Lane",
                                    "Hidden Stairways of Portland by Hanna Cole"), ("Paperback",)),
        G("Ferncliff Books", ("Pacific Northwest Wildflowers by Carla Mendes",
                              "Birds of the Willamette Valley by Tom Ashby", "Mushrooms of Cascadia by Rowan Hale"),
          ("Paperback",)),
        G("Dover Thrift Editions", ("The Oregon Trail by Francis Parkman",), ("Paperback",), price=(599, 899)),
    ), name_format=BOOK_NAME),
)

PETS: tuple[C, ...] = (
    C("Pets > Dog Food", "pets", (1499, 2999),
      "{brand} {line}, complete and balanced nutrition for adult dogs.", (
        G("Purina Pro Plan", ("Adult Chicken & Rice Formula Dry Dog Food",
                              "Sensitive Skin & Stomach Salmon & Rice Dry Dog Food"), ("6 lb", "18 lb")),
        G("Blue Buffalo", ("Life Protection Formula Adult Chicken & Brown Rice Dry Dog Food",
                           "Wilderness Salmon Grain-Free Dry Dog Food"), ("5 lb", "24 lb")),
        G("Hill's Science Diet", ("Adult 7+ Small Bites Chicken Meal & Barley Dry Dog Food",), ("5 lb", "15 lb")),
        G("Taste of the Wild", ("High Prairie Roasted Bison & Venison Dry Dog Food",), ("14 lb", "28 lb"),
          price=(3999, 4999)),
        G("Valley Harvest", ("Pacific Salmon & Sweet Potato Dry Dog Food", "Pasture Lamb & Oat Dry Dog Food"),
          ("4 lb", "24 lb")),
    ), variant_step=2.5),
    C("Pets > Cat Food", "pets", (1299, 2999),
      "{brand} {line} for adult cats.", (
        G("Fancy Feast", ("Classic Paté Variety Pack 3 oz Cans 12-Count",
                          "Gravy Lovers Poultry Feast Variety Pack 24-Count")),
        G("Friskies", ("Indoor Delights Dry Cat Food 3.15 lb", "Paté Favorites Variety Pack 32-Count")),
        G("Purina ONE", ("Tender Selects Blend with Salmon Dry Cat Food 7 lb",)),
        G("Hill's Science Diet", ("Adult Indoor Chicken Recipe Dry Cat Food 7 lb",)),
        G("Blue Buffalo", ("Tastefuls Indoor Adult Chicken Dry Cat Food 5 lb",)),
        G("Valley Harvest", ("Wild-Caught Whitefish Dry Cat Food", "Farmhouse Chicken Dry Cat Food"),
          ("3 lb", "10 lb")),
        G("Tiki Cat", ("Luau Wild Salmon Wet Cat Food 2.8 oz 12-Count",)),
    ), variant_step=2.4),
    C("Pets > Treats", "pets", (499, 1499),
      "{brand} {line}, a treat to reward good behavior.", (
        G("Greenies", ("Original Regular Dental Dog Treats 12 oz", "Feline Dental Cat Treats Chicken 2.5 oz")),
        G("Milk-Bone", ("Original Dog Biscuits Medium 24 oz", "Soft & Chewy Beef & Filet Mignon Dog Treats 25 oz")),
        G("Zuke's", ("Mini Naturals Chicken Recipe Training Treats 6 oz",)),
        G("Temptations", ("Classic Tasty Chicken Cat Treats 6.3 oz",)),
        G("Happy Trails", ("Oregon Salmon Jerky Dog Treats 5 oz", "Peanut Butter Pumpkin Dog Biscuits 12 oz",
                           "Bully Sticks 6 in 5-Pack")),
        G("Blue Buffalo", ("Blue Bits Chicken Training Treats 4 oz",)),
        G("Nylabone", ("Healthy Edibles Bacon Chews 3-Count",)),
    )),
    C("Pets > Cat Litter", "pets", (1299, 2299),
      "{brand} {line} with odor control for multi-cat homes.", (
        G("Tidy Cats", ("24/7 Performance Clumping Litter",), ("20 lb", "35 lb")),
        G("Fresh Step", ("Clean Paws Multi-Cat Clumping Litter 22.5 lb",)),
        G("Arm & Hammer", ("Clump & Seal Platinum Cat Litter",), ("19 lb", "28 lb")),
        G("Dr. Elsey's", ("Precious Cat Ultra Unscented Litter 40 lb",)),
        G("World's Best", ("Multiple Cat Clumping Corn Litter 15 lb",), price=(2499, 2999)),
    ), variant_step=1.5),
    C("Pets > Toys & Accessories", "pets", (799, 3499),
      "{brand} {line} for playtime and walks.", (
        G("Kong", ("Classic Dog Toy",), ("Medium", "Large"), price=(1099, 1399)),
        G("Kong", ("Wubba Dog Toy Large", "Kickeroo Cat Toy")),
        G("Chuckit!", ("Ultra Ball Medium 2-Pack", "Classic Ball Launcher 26 in")),
        G("Ruffwear", ("Front Range Dog Harness Medium", "Flat Out Dog Leash 6 ft", "Quencher Collapsible Dog Bowl"),
          price=(1999, 4999)),
        G("Happy Trails", ("Rope Tug Dog Toy", "Reflective Dog Collar Medium", "Dog Waste Bags 8-Roll Refill")),
        G("Petmate", ("Vari Kennel Medium",), price=(5999, 7999)),
    ), variant_step=1.3),
)

TOYS: tuple[C, ...] = (
    C("Toys > Building Sets", "toys", (1999, 7999),
      "{brand} {line} building set for creative play.", (
        G("LEGO", ("City Fire Station", "City Police Patrol Car", "Classic Creative Bricks Box",
                   "Creator 3in1 Forest Animals", "Technic Monster Jam Truck", "Friends Heartlake City Café",
                   "Icons Bonsai Tree", "Duplo Number Train")),
        G("Mega Bloks", ("First Builders Big Building Bag 80-Piece",), price=(1499, 1999)),
        G("Magna-Tiles", ("Classic 32-Piece Set", "Clear Colors 100-Piece Set"), price=(4999, 11999)),
        G("K'NEX", ("Classics 500-Piece 30-Model Building Set",)),
        G("Melissa & Doug", ("Wooden Building Blocks 100-Piece",)),
    )),
    C("Toys > Games & Puzzles", "toys", (1299, 3999),
      "{brand} {line} for family game night.", (
        G("Hasbro Gaming", ("Monopoly Classic Board Game", "Connect 4 Classic Grid", "Clue Classic Mystery Game",
                            "Jenga Classic")),
        G("Mattel Games", ("UNO Card Game", "Pictionary Air"), price=(699, 2499)),
        G("Ravensburger", ("Labyrinth Board Game", "GraviTrax Starter Set"), price=(2499, 6999)),
        G("Buffalo Games", ("Mount Hood Sunrise 1000-Piece Jigsaw Puzzle",)),
        G("Exploding Kittens", ("Original Edition Card Game",)),
        G("Catan Studio", ("Catan Board Game",), price=(4499, 5499)),
        G("Days of Wonder", ("Ticket to Ride Board Game",), price=(4999, 5499)),
    )),
    C("Toys > Arts & Crafts", "toys", (499, 2499),
      "{brand} {line} for young artists.", (
        G("Crayola", ("Crayons 24-Count", "Washable Markers 10-Count", "Colored Pencils 50-Count",
                      "Model Magic White 4 oz"), price=(199, 1299)),
        G("Play-Doh", ("Modeling Compound 10-Pack", "Kitchen Creations Pizza Oven Playset")),
        G("Melissa & Doug", ("Deluxe Double-Sided Tabletop Easel", "Reusable Sticker Pad Habitats")),
        G("Faber-Castell", ("Young Artist Watercolor Set",)),
        G("Elmer's", ("Disappearing Purple Glue Sticks 6-Pack",), price=(399, 599)),
    )),
    C("Toys > Vehicles", "toys", (1499, 3999),
      "{brand} {line} for hours of imaginative play.", (
        G("Hot Wheels", ("Basic Car 5-Pack", "Track Builder Unlimited Triple Loop Kit",
                         "City Super Gator Car Wash Playset"), price=(599, 4999)),
        G("Matchbox", ("Action Drivers Fire Station Rescue Playset", "Moving Parts 5-Pack")),
        G("Green Toys", ("Recycling Truck", "Dump Truck", "Fire Truck")),
        G("Bruder", ("MAN TGS Garbage Truck",), price=(6999, 8999)),
        G("Tonka", ("Steel Classics Mighty Dump Truck",)),
    )),
    C("Toys > Dolls & Plush", "toys", (1499, 3999),
      "{brand} {line}, soft and cuddly.", (
        G("Jellycat", ("Bashful Bunny Medium", "Amuseable Avocado", "Bartholomew Bear Medium")),
        G("Squishmallows", ("Original 12 in Plush Assorted",)),
        G("Barbie", ("Dreamhouse Adventures Doll", "Fashionistas Doll Assorted"), price=(1099, 1999)),
        G("Calico Critters", ("Hopscotch Rabbit Family", "Cozy Cottage Starter Home")),
        G("Folkmanis", ("Raccoon Hand Puppet", "Beaver Hand Puppet")),
    )),
    C("Toys > Outdoor Play", "toys", (999, 3999),
      "{brand} {line} for backyard and park fun.", (
        G("Nerf", ("Elite 2.0 Commander RD-6 Blaster", "Elite Foam Darts Refill 30-Pack")),
        G("Wham-O", ("Frisbee Classic 140g", "Slip 'N Slide Wave Rider"), price=(999, 2499)),
        G("Little Tikes", ("Cozy Coupe Ride-On",), price=(5999, 6999)),
        G("Crayola", ("Washable Sidewalk Chalk 48-Count",), price=(799, 999)),
        G("Gazillion", ("Bubbles Solution 1 gal", "Bubble Machine")),
    )),
)
# fmt: on

CATEGORIES: tuple[C, ...] = BOOKS + PETS + TOYS
